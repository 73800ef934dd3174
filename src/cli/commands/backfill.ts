import { BitcoinSchema, MarketSchema } from '../../forecasting/index.js';
import { type BackfillProgress, backfill, coinGeckoClientFromEnv, storeRowSink } from '../../ingest/index.js';
import { type CliIO, type Command, EXIT_FAILURE, EXIT_OK, UsageError, intFlag, optionalProgressBars, parseCommandArgs } from '../command.js';
import { cliLogger } from './ingest.js';
import { S3_FLAGS, S3_FLAGS_USAGE, s3OptionsFromFlags } from '../store-flags.js';

const usage = `Usage: tfpl backfill --from <date> --to <date> (--csv <file> | --store <dir>) [--id bitcoin | --ids a,b,...] [--vs usd[,eur...]] [--chunk-days N] [--calls-per-minute N] [--base-url URL]

Fetches CoinGecko /coins/{id}/market_chart/range history in chunks of at most 90 days (hourly points),
oldest first, and appends rows in timestamp order without duplicates. Rerunning after an interruption
continues after the last stored timestamp. With --ids, every coin in every --vs currency goes into one
MarketSchema store (columns coin, vs, timestamp, price, ...), series after series, each resuming on its own.

Options:
  --from <date>           start, UTC: 2025-01-01, 2025-01-01T06:00 or any ISO-8601 time with offset
  --to <date>             end (inclusive), same forms, or "now"
  --csv <file>            CSV to create or append to
  --store <dir>           Parquet store to append to (instead of --csv): a folder or s3://bucket/prefix
  --id <coin>             CoinGecko coin id (default bitcoin), into a BitcoinSchema CSV or store
  --ids <a,b,...>         several coin ids into one MarketSchema store (needs --store)
  --vs <c[,d...]>         quote currencies (default usd; several need --ids and --store)
  --chunk-days <N>        request window in days, 2-90 (default 90)
  --calls-per-minute <N>  client-side rate limit (default 30 for demo, 250 for pro)
  --base-url <URL>        API root (default by plan)
${S3_FLAGS_USAGE}

Environment:
  COINGECKO_API_KEY       API key, sent only in the x-cg-demo-api-key / x-cg-pro-api-key header
  COINGECKO_PLAN          demo (default; history limited to the past 365 days) or pro

Data provided by CoinGecko (https://www.coingecko.com).`;

/** Parses a `--from`/`--to` value as UTC; a time without an offset is UTC too, not local time. */
export function parseDateFlag(name: string, value: string | undefined, now = Date.now()): number {
  if (value === undefined) throw new UsageError(`--${name} <date> is required`);
  if (value === 'now') return now;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value) ? `${value}Z` : value;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be a UTC date such as 2025-01-01 or 2025-01-01T06:00; received ${JSON.stringify(value)}`);
  return ms;
}

async function progressReporter(io: CliIO): Promise<{ update(p: BackfillProgress): void; stop(): void }> {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const cliProgress = io.stdout.isTTY ? await optionalProgressBars() : null;
  if (cliProgress) {
    const bar = new cliProgress.SingleBar({ stream: io.stdout, format: 'backfill [{bar}] {value}/{total} chunks | {rows} rows | up to {last}', hideCursor: true }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update(p) {
        if (!started) bar.start(p.chunks, 0, { rows: 0, last: '-' });
        started = true;
        bar.update(p.chunk, { rows: p.rowsWritten, last: p.lastTimestamp === null ? '-' : day(p.lastTimestamp) });
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  return {
    update(p) {
      io.stderr.write(`tfpl backfill: chunk ${p.chunk}/${p.chunks} ${day(p.from)} .. ${day(p.to)}: +${p.rowsInChunk} rows (${p.rowsWritten} total)\n`);
    },
    stop() {},
  };
}

/** `tfpl backfill`: chunked, resumable history download into a CSV or a store. */
const backfillCommand: Command = {
  name: 'backfill',
  summary: 'download CoinGecko price history into a CSV or store (resumable)',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parseCommandArgs(
      argv,
      {
        from: { type: 'string' },
        to: { type: 'string' },
        csv: { type: 'string' },
        store: { type: 'string' },
        id: { type: 'string' },
        ids: { type: 'string' },
        vs: { type: 'string' },
        'chunk-days': { type: 'string' },
        'base-url': { type: 'string' }, 'calls-per-minute': { type: 'string' },
        ...S3_FLAGS,
      },
      false,
    );
    const from = parseDateFlag('from', values.from);
    const to = parseDateFlag('to', values.to);
    if (to <= from) throw new UsageError(`--to must be later than --from; received ${JSON.stringify(values.from)} .. ${JSON.stringify(values.to)}`);
    if ((values.csv === undefined) === (values.store === undefined)) throw new UsageError('give exactly one of --csv <file>, --store <dir>');
    const chunkDays = intFlag('chunk-days', values['chunk-days'], 2);
    const log = cliLogger('backfill', io);
    const client = coinGeckoClientFromEnv(io.env, { baseUrl: values['base-url'], callsPerMinute: intFlag('calls-per-minute', values['calls-per-minute']), log });
    const list = (flag: string, v: string | undefined) => {
      const items = (v ?? '').split(',').map((x) => x.trim());
      if (items.some((x) => x === '')) throw new UsageError(`--${flag} must be a comma-separated list of names; received ${JSON.stringify(v)}`);
      return items;
    };
    if (values.id !== undefined && values.ids !== undefined) throw new UsageError('give --id <coin> (one series) or --ids <a,b,...> (a MarketSchema store), not both');
    const market = values.ids !== undefined;
    const ids = market ? list('ids', values.ids) : [values.id ?? 'bitcoin'];
    const currencies = values.vs === undefined ? ['usd'] : list('vs', values.vs);
    if (market && values.store === undefined) throw new UsageError('--ids writes a MarketSchema store: give --store <dir> (a CSV holds one series)');
    if (!market && currencies.length > 1) throw new UsageError(`--vs ${values.vs} names ${currencies.length} currencies: several series need --ids and --store`);
    const series = ids.flatMap((coin) => currencies.map((vs) => ({ coin, vs })));
    const progress = await progressReporter(io);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let written = 0;
    let total = 0;
    const lines: string[] = [];
    try {
      for (const { coin, vs } of series) {
        const s3 = s3OptionsFromFlags(values);
        const storeIo = s3 ? { io: { s3 } } : {};
        const sink = values.store === undefined ? undefined : market ? await storeRowSink(values.store, MarketSchema, { series: { coin, vs }, priceColumn: 'price', ...storeIo }) : await storeRowSink(values.store, BitcoinSchema, storeIo);
        const target = sink ? { sink } : { csvPath: values.csv! };
        let result;
        try {
          result = await backfill({
            client, from, to, ...target, id: coin, vsCurrency: vs, chunkDays, signal: controller.signal, log,
            onProgress: (p) => {
              written = total + p.rowsWritten;
              progress.update(p);
            },
          });
        } catch (err) {
          if (!controller.signal.aborted) throw err;
          progress.stop();
          io.stderr.write(`tfpl backfill: interrupted in ${coin}/${vs} after ${written} row(s); rerun the same command to continue\n`);
          return EXIT_FAILURE;
        } finally {
          if (sink) await sink.close?.();
        }
        progress.stop();
        total += result.rowsWritten;
        const last = result.lastTimestamp === null ? 'none' : new Date(result.lastTimestamp).toISOString();
        const resumed = result.resumedAfter === null ? '' : ` (resumed after ${new Date(result.resumedAfter).toISOString()})`;
        lines.push(`${market ? `${coin}/${vs}: ` : ''}${result.rowsWritten} row(s) in ${result.chunks} chunk(s)${resumed}; last row ${last}`);
      }
      const where = values.csv ?? values.store;
      if (!market) io.stdout.write(`tfpl backfill: ${lines[0]!.replace(' in ', ` written to ${where} in `)}. Data provided by CoinGecko.\n`);
      else io.stdout.write(`tfpl backfill: ${total} row(s) of ${series.length} series written to ${where}:\n${lines.map((l) => `  ${l}\n`).join('')}Data provided by CoinGecko.\n`);
      return EXIT_OK;
    } finally {
      progress.stop();
      process.off('SIGINT', onSigint);
    }
  },
};

export default backfillCommand;
