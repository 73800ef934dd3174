import { BitcoinSchema } from '../../forecasting/index.js';
import { type BackfillProgress, backfill, coinGeckoClientFromEnv, storeRowSink } from '../../ingest/index.js';
import { type CliIO, type Command, EXIT_FAILURE, EXIT_OK, UsageError, intFlag, optionalProgressBars, parseCommandArgs } from '../command.js';
import { cliLogger } from './ingest.js';

const usage = `Usage: tfpl backfill --from <date> --to <date> (--csv <file> | --store <dir>) [--id bitcoin] [--vs usd] [--chunk-days N] [--calls-per-minute N] [--base-url URL]

Fetches CoinGecko /coins/{id}/market_chart/range history in chunks of at most 90 days (hourly points),
oldest first, and appends rows in timestamp order without duplicates. Rerunning after an interruption
continues after the last stored timestamp.

Options:
  --from <date>           start, UTC: 2025-01-01, 2025-01-01T06:00 or any ISO-8601 time with offset
  --to <date>             end (inclusive), same forms, or "now"
  --csv <file>            CSV to create or append to
  --store <dir>           Parquet store to append to (instead of --csv)
  --id <coin>             CoinGecko coin id (default bitcoin)
  --vs <currency>         quote currency (default usd)
  --chunk-days <N>        request window in days, 2-90 (default 90)
  --calls-per-minute <N>  client-side rate limit (default 30 for demo, 250 for pro)
  --base-url <URL>        API root (default by plan)

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
        vs: { type: 'string' },
        'chunk-days': { type: 'string' },
        'base-url': { type: 'string' }, 'calls-per-minute': { type: 'string' },
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
    const sink = values.store !== undefined ? await storeRowSink(values.store, BitcoinSchema) : undefined;
    const progress = await progressReporter(io);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let written = 0;
    try {
      const target = sink ? { sink } : { csvPath: values.csv! };
      let result;
      try {
        result = await backfill({
          client, from, to, ...target, id: values.id, vsCurrency: values.vs, chunkDays, signal: controller.signal, log,
          onProgress: (p) => {
            written = p.rowsWritten;
            progress.update(p);
          },
        });
      } catch (err) {
        if (!controller.signal.aborted) throw err;
        progress.stop();
        io.stderr.write(`tfpl backfill: interrupted after ${written} row(s); rerun the same command to continue\n`);
        return EXIT_FAILURE;
      }
      progress.stop();
      const last = result.lastTimestamp === null ? 'none' : new Date(result.lastTimestamp).toISOString();
      const resumed = result.resumedAfter === null ? '' : ` (resumed after ${new Date(result.resumedAfter).toISOString()})`;
      io.stdout.write(`tfpl backfill: ${result.rowsWritten} row(s) written to ${values.csv ?? values.store} in ${result.chunks} chunk(s)${resumed}; last row ${last}. Data provided by CoinGecko.\n`);
      return EXIT_OK;
    } finally {
      progress.stop();
      process.off('SIGINT', onSigint);
      if (sink) await sink.close?.();
    }
  },
};

export default backfillCommand;
