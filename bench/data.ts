// The bench's synthetic dataset: N rows of a timestamp plus F float32 features, deterministic from a seed,
// written once as a Parquet store (through materializeDataset, typed-array batches) and as CSV, and cached
// under <cache-dir>/<hash of the parameters that change the bytes>/ so later runs reuse it.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { defineSchema, materializeDataset, type Unischema } from '../src/index.js';
import { mulberry32 } from '../src/prng.js';

/** Bump when the generator or the store layout changes: old caches are then ignored. */
const DATA_VERSION = 1;
/** The files of src/materialize/ that decide the bytes of a store written from typed columns. */
const WRITER_SOURCES = ['materialize.ts', 'part-writer.ts', 'row-group-builder.ts', 'arrow-types.ts', 'summary-file.ts', 'store-layout.ts'];

/**
 * The writer that made the store: this package's version, a hash of the sources that decide the store's
 * bytes (so a change between version bumps counts too) and the Parquet writer's version (parquet-wasm). Part of the
 * cache key, so a store written by an older writer is never benchmarked as if it were the current one.
 */
export function writerVersion(): string {
  const require = createRequire(import.meta.url);
  const own = (require('../package.json') as { version: string }).version;
  // parquet-wasm does not export its package.json: find it above the module Node resolves.
  let dir = dirname(require.resolve('parquet-wasm'));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'parquet-wasm') {
    if (dirname(dir) === dir) throw new Error('bench: cannot find the package.json of parquet-wasm');
    dir = dirname(dir);
  }
  const pw = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version as string;
  const sources = new URL('../src/materialize/', import.meta.url);
  const h = createHash('sha256');
  for (const f of WRITER_SOURCES) h.update(f).update(readFileSync(new URL(f, sources)));
  return `tfjs-parquet-loader ${own} (src/materialize ${h.digest('hex').slice(0, 12)}), parquet-wasm ${pw}`;
}

/** Minutes: 50M rows stay within years DuckDB, Arrow and Date all handle. */
export const STEP_MS = 60_000;
export const START_MS = Date.UTC(2013, 0, 1);
/** Rows generated (and written) per chunk: bounds the generator's memory whatever N is. */
const CHUNK_ROWS = 1 << 20;

export const featureNames = (features: number): string[] => Array.from({ length: features }, (_, i) => `f${i}`);

/** timestamp (epoch ms) + f0..f{F-1} float32, none nullable. */
export function benchSchema(features: number): Unischema {
  return defineSchema(`BenchSeries${features}`, [
    { name: 'timestamp', dtype: 'timestamp' },
    ...featureNames(features).map((name) => ({ name, dtype: 'float32' as const })),
  ]);
}

export interface SeriesChunk {
  numRows: number;
  timestamp: Float64Array;
  features: Float32Array[];
}

/**
 * The series, chunk by chunk. Every value is exactly representable in float32 and prints as a short
 * decimal (quarters, integers, eighths), so CSV → float32 reproduces the Parquet values bit for bit:
 * f0 a price walk in quarters, f1 an integer volume, f2 the 24-row change of f0, f3 a walk in eighths;
 * f4+ repeat those patterns shifted by the feature index.
 */
export function* seriesChunks(rows: number, features: number, seed: number, chunkRows = CHUNK_ROWS): Generator<SeriesChunk> {
  const rng = mulberry32(seed);
  let p = 120_000; // price in quarters (30,000.00)
  let q = 0; // f3 in eighths
  const hist = new Int32Array(24); // last 24 prices, for the change column
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    const timestamp = new Float64Array(n);
    const base = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    for (let i = 0; i < n; i++) {
      const g = start + i;
      timestamp[i] = START_MS + g * STEP_MS;
      p = Math.min(4_000_000, Math.max(4_000, p + Math.round((rng() - 0.5) * 16)));
      q = Math.min(1 << 20, Math.max(-(1 << 20), q + Math.round((rng() - 0.5) * 32)));
      const old = g >= 24 ? hist[g % 24]! : p;
      hist[g % 24] = p;
      base[0]![i] = p / 4;
      base[1]![i] = 100_000 + Math.floor(rng() * 1_000_000);
      base[2]![i] = (p - old) / 4;
      base[3]![i] = q / 8;
    }
    const cols: Float32Array[] = [];
    for (let f = 0; f < features; f++) {
      if (f < 4) cols.push(base[f]!);
      else {
        const src = base[f % 4]!;
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = src[i]! + f;
        cols.push(out);
      }
    }
    yield { numRows: n, timestamp, features: cols };
  }
}

/** The whole series in memory (cases that start from columns already in memory). */
export function seriesColumns(rows: number, features: number, seed: number): SeriesChunk {
  const timestamp = new Float64Array(rows);
  const cols = Array.from({ length: features }, () => new Float32Array(rows));
  let at = 0;
  for (const c of seriesChunks(rows, features, seed)) {
    timestamp.set(c.timestamp, at);
    for (let f = 0; f < features; f++) cols[f]!.set(c.features[f]!, at);
    at += c.numRows;
  }
  return { numRows: rows, timestamp, features: cols };
}

/** Parameters that change the bytes on disk; window and batch sizes do not. */
export interface DataParams {
  rows: number;
  features: number;
  seed: number;
  rowGroupSize: number;
  maxRowsPerFile: number;
  /** Store compression (materializeDataset's option). Default 'zstd', materializeDataset's default. */
  compression?: 'zstd' | 'snappy' | 'none';
}

export interface BenchData {
  dir: string;
  storeDir: string;
  csvPath: string;
  csvBytes: number;
  storeBytes: number;
  /** Seconds spent generating this run (0 when reused from the cache). */
  generatedSeconds: number;
  /** Rows/s of materializeDataset from typed-array batches when the store was written (cached value). */
  materializeRowsPerSec: number;
  reused: boolean;
}

export function dataDir(cacheDir: string, p: DataParams): string {
  const { compression = 'zstd', ...rest } = p;
  const hash = createHash('sha256').update(JSON.stringify({ v: DATA_VERSION, writer: writerVersion(), ...rest, compression })).digest('hex').slice(0, 12);
  return resolve(cacheDir, `${p.rows}r-${p.features}f-${compression === 'zstd' ? '' : `${compression}-`}${hash}`);
}

async function writeCsv(path: string, rows: number, features: number, seed: number): Promise<number> {
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  const header = ['timestamp', ...featureNames(features)].join(',');
  let bytes = 0;
  const write = async (s: string) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(`${header}\n`);
  for (const c of seriesChunks(rows, features, seed, 65_536)) {
    const lines: string[] = new Array(c.numRows);
    for (let i = 0; i < c.numRows; i++) {
      let line = String(c.timestamp[i]);
      for (let f = 0; f < features; f++) line += `,${c.features[f]![i]}`;
      lines[i] = line;
    }
    await write(`${lines.join('\n')}\n`);
  }
  out.end();
  await once(out, 'close');
  renameSync(tmp, path);
  return bytes;
}

/**
 * The store and CSV for `p`, generated unless a complete copy is cached (a manifest written last marks
 * completeness). `withCsv: false` skips the CSV (the 5M/50M stores of the RSS cases need none).
 */
export async function ensureData(cacheDir: string, p: DataParams, opts: { withCsv: boolean; log?: (msg: string) => void }): Promise<BenchData> {
  const dir = dataDir(cacheDir, p);
  const storeDir = join(dir, 'store');
  const csvPath = join(dir, 'data.csv');
  const manifestPath = join(dir, 'manifest.json');
  const manifest: Partial<BenchData> & { params?: DataParams } = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : {};
  const haveStore = manifest.storeBytes !== undefined && existsSync(storeDir);
  const haveCsv = manifest.csvBytes !== undefined && manifest.csvBytes > 0 && existsSync(csvPath);
  const t0 = performance.now();
  mkdirSync(dir, { recursive: true });
  if (!haveStore) {
    opts.log?.(`generating a ${p.rows.toLocaleString('en-US')}-row store in ${storeDir}`);
    rmSync(storeDir, { recursive: true, force: true });
    const ts = performance.now();
    const chunks = (async function* () {
      for (const c of seriesChunks(p.rows, p.features, p.seed)) {
        const columns: Record<string, Float32Array | Float64Array> = { timestamp: c.timestamp };
        featureNames(p.features).forEach((name, f) => (columns[name] = c.features[f]!));
        yield { batch: { numRows: c.numRows, columns } };
      }
    })();
    await materializeDataset(storeDir, benchSchema(p.features), chunks, { rowGroupSize: p.rowGroupSize, maxRowsPerFile: p.maxRowsPerFile, compression: p.compression ?? 'zstd' });
    manifest.materializeRowsPerSec = p.rows / ((performance.now() - ts) / 1000);
    manifest.storeBytes = dirBytes(storeDir);
  }
  if (opts.withCsv && !haveCsv) {
    opts.log?.(`writing ${csvPath}`);
    manifest.csvBytes = await writeCsv(csvPath, p.rows, p.features, p.seed);
  }
  const generatedSeconds = haveStore && (haveCsv || !opts.withCsv) ? 0 : (performance.now() - t0) / 1000;
  writeFileSync(manifestPath, JSON.stringify({ params: p, writer: writerVersion(), storeBytes: manifest.storeBytes, csvBytes: manifest.csvBytes ?? 0, materializeRowsPerSec: manifest.materializeRowsPerSec }, null, 2));
  return {
    dir,
    storeDir,
    csvPath,
    csvBytes: manifest.csvBytes ?? 0,
    storeBytes: manifest.storeBytes!,
    generatedSeconds,
    materializeRowsPerSec: manifest.materializeRowsPerSec ?? NaN,
    reused: generatedSeconds === 0,
  };
}

/** A CSV of the first `rows` rows, for the materialize cases (cached beside the full data). */
export async function ensurePrefixCsv(dir: string, rows: number, features: number, seed: number): Promise<{ path: string; bytes: number }> {
  const path = join(dir, `prefix-${rows}.csv`);
  const meta = `${path}.bytes`;
  if (existsSync(path) && existsSync(meta)) return { path, bytes: Number(readFileSync(meta, 'utf8')) };
  const bytes = await writeCsv(path, rows, features, seed);
  writeFileSync(meta, String(bytes));
  return { path, bytes };
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) total += statSync(join(dir, f)).size;
  return total;
}
