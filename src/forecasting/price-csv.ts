import { open, readFile } from 'node:fs/promises';
import { CsvError, importCsv, materializeDataset } from '../index.js';
import { BitcoinSchema, CandleSchema, COINGECKO_EXPORT_LAYOUT } from './schemas.js';

/** Price CSV layouts `importPriceCsv` recognises. */
export type PriceCsvLayout = 'collector' | 'coingecko-export' | 'coinbase-candles' | 'cryptodatadownload-candles';

const COINBASE = 'date,unix,low,high,open,close,volume,vol_fiat';
const CDD = 'unix,date,symbol,open,high,low,close';

/** What `importPriceCsv` did. */
export interface ImportPriceCsvResult {
  layout: PriceCsvLayout;
  /** 'BitcoinSchema' or 'CandleSchema'. */
  schema: string;
  rows: number;
  /** Notes on conversions applied (e.g. rows reordered, volumes swapped), for the user to read. */
  notes: string[];
}

async function headLines(path: string): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/).slice(0, 3);
  } finally {
    await fh.close();
  }
}

/** Detects a price CSV's layout from its first lines (a CryptoDataDownload banner line is skipped). */
export async function detectPriceCsvLayout(path: string): Promise<PriceCsvLayout | null> {
  const lines = await headLines(path);
  const header = (/^https?:\/\//i.test(lines[0] ?? '') ? lines[1] : lines[0])?.trim().toLowerCase().replace(/"/g, '') ?? '';
  if (header.startsWith(COINBASE)) return 'coinbase-candles';
  if (header.startsWith(CDD)) return 'cryptodatadownload-candles';
  if (header.startsWith('snapped_at,')) return 'coingecko-export';
  if (header.split(',').includes('price_usd') && header.split(',').includes('timestamp')) return 'collector';
  return null;
}

function parseCandles(path: string, text: string, layout: 'coinbase-candles' | 'cryptodatadownload-candles') {
  const lines = text.split(/\r?\n/);
  let first = 0;
  if (/^https?:\/\//i.test(lines[0] ?? '')) first = 1;
  const header = lines[first]!.split(',').map((h) => h.trim().toLowerCase());
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new CsvError(`importPriceCsv: ${path} has no "${name}" column; header: ${header.join(',')}`, path, first + 1);
    return i;
  };
  const ix = {
    unix: col('unix'),
    open: col('open'),
    high: col('high'),
    low: col('low'),
    close: col('close'),
    volume: layout === 'coinbase-candles' ? col('volume') : col('volume btc'),
    volumeQuote: layout === 'coinbase-candles' ? col('vol_fiat') : col('volume usd'),
  };
  const n = lines.length - first - 1;
  const ts = new Float64Array(n);
  const close = new Float32Array(n);
  const open_ = new Float32Array(n);
  const high = new Float32Array(n);
  const low = new Float32Array(n);
  const volume = new Float64Array(n);
  let rows = 0;
  let swapped = 0;
  for (let l = first + 1; l < lines.length; l++) {
    const line = lines[l]!;
    if (line.trim() === '') continue;
    const f = line.split(',');
    const unix = Number(f[ix.unix]);
    const c = Number(f[ix.close]);
    if (!Number.isFinite(unix) || !(c > 0)) throw new CsvError(`importPriceCsv: ${path} line ${l + 1}: unix ${JSON.stringify(f[ix.unix])} or close ${JSON.stringify(f[ix.close])} is not a number`, path, l + 1);
    // Seconds (10 digits) or milliseconds (13 digits).
    ts[rows] = unix < 1e11 ? unix * 1000 : unix;
    close[rows] = c;
    open_[rows] = Number(f[ix.open]);
    high[rows] = Number(f[ix.high]);
    low[rows] = Number(f[ix.low]);
    let v = Number(f[ix.volume]);
    const q = Number(f[ix.volumeQuote]);
    // CryptoDataDownload swapped BTC and USD volume in older rows: the quote volume is then ≈ base / close.
    if (layout === 'cryptodatadownload-candles' && v > 0 && q > 0 && Math.abs((q * c) / v - 1) < 0.2 && Math.abs((v * c) / q - 1) > 0.2) {
      v = q;
      swapped++;
    }
    volume[rows] = Number.isFinite(v) ? v : NaN;
    rows++;
  }
  return { rows, swapped, batch: { numRows: rows, columns: { timestamp: ts.subarray(0, rows), price_usd: close.subarray(0, rows), open: open_.subarray(0, rows), high: high.subarray(0, rows), low: low.subarray(0, rows), volume: volume.subarray(0, rows) } } };
}

/**
 * Imports a real price CSV into a store, whichever of the known layouts it has:
 * - the collector's CSV and CoinGecko's "Historical Data → Export" (`snapped_at,price,market_cap,total_volume`):
 *   `importCsv` into a `BitcoinSchema` store;
 * - Coinbase candles (`date,unix,low,high,open,close,volume,vol_fiat`) and CryptoDataDownload candles (banner
 *   line, `unix,date,symbol,open,high,low,close,Volume BTC,Volume USD`, newest first): a `CandleSchema`
 *   store with `price_usd` = close, sorted by time, without a market cap (the files have none).
 * The store is overwritten.
 *
 * @example
 * await importPriceCsv('coinbase_BTC-USD_1h.csv', './out/coinbase-store'); // { layout: 'coinbase-candles', schema: 'CandleSchema', ... }
 */
export async function importPriceCsv(csvPath: string, storeDir: string, options: { rowGroupSize?: number } = {}): Promise<ImportPriceCsvResult> {
  const layout = await detectPriceCsvLayout(csvPath);
  if (layout === null) {
    const [first] = await headLines(csvPath);
    throw new CsvError(
      `importPriceCsv: ${csvPath} has an unknown header ${JSON.stringify(first)}; supported: the collector CSV (timestamp,price_usd,market_cap,...), ` +
        `CoinGecko's export (snapped_at,price,market_cap,total_volume), Coinbase candles (${COINBASE}) and CryptoDataDownload candles (banner, ${CDD},Volume BTC,Volume USD)`,
      csvPath,
      1,
    );
  }
  const rowGroupSize = options.rowGroupSize ?? 65_536;
  if (layout === 'collector' || layout === 'coingecko-export') {
    const r = await importCsv(csvPath, storeDir, BitcoinSchema, { mode: 'overwrite', rowGroupSize, sortBy: 'timestamp', layouts: [COINGECKO_EXPORT_LAYOUT] });
    return { layout, schema: 'BitcoinSchema', rows: r.numRows, notes: [] };
  }
  const { rows, swapped, batch } = parseCandles(csvPath, await readFile(csvPath, 'utf8'), layout);
  await materializeDataset(storeDir, CandleSchema, batch, { mode: 'overwrite', rowGroupSize, sortBy: 'timestamp' });
  const notes = ['price_usd is the candle close; the file has no market cap, so the store (CandleSchema) has none'];
  if (swapped) notes.push(`${swapped} rows had BTC and USD volume swapped (a known CryptoDataDownload defect) and were corrected`);
  return { layout, schema: 'CandleSchema', rows, notes };
}
