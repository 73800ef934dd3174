import { MarketSchema } from '../../forecasting/index.js';
import { type CoinGeckoClient, coinGeckoClientFromEnv, collect, collectMarket, type IngestLogEvent, storeMarketSink } from '../../ingest/index.js';
import { abortOnSigint, type CliIO, type Command, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';
import { S3_FLAGS, S3_FLAGS_USAGE, s3OptionsFromFlags } from '../store-flags.js';

/** Writes ingest events to the command's stderr, one line each; debug events are dropped. */
export function cliLogger(name: string, io: CliIO): (event: IngestLogEvent) => void {
  return (event) => {
    if (event.level === 'debug') return;
    io.stderr.write(`tfpl ${name}: ${event.level}: ${event.message}${event.reason ? ` [${event.reason}]` : ''}\n`);
  };
}

const usage = `Usage: tfpl ingest --interval <sec> --csv <file> [--id bitcoin] [--vs usd] [--count N] [options]
       tfpl ingest --interval <sec> --store <dir | s3://bucket/prefix> --ids <a,b,...> [--vs usd,eur,...] [--count N] [options]

Polls CoinGecko /simple/price every --interval seconds on the wall clock. With --csv, each new row of one
coin (timestamp,price_usd,market_cap,price_change_24h,total_volume) is appended to the CSV, fsynced before
the next tick. With --store, every coin in every --vs currency goes into one MarketSchema store (columns
coin, vs, timestamp, price, ...): one call per currency, and each tick's new rows in one commit; a failed
call is logged and its currency gets no row that tick, the others are committed. The store is compacted in
the background once it holds --compact-after small parts (one per tick).
Bad responses are logged with their reason and skipped; a restart continues after each series' last stored
row, writing nothing twice. Ctrl-C finishes the current write and exits.

Options:
  --interval <sec>        seconds between ticks (> 0, decimals allowed)
  --csv <file>            CSV to create or append to (one series)
  --store <dir>           MarketSchema store to create or append to: a folder or s3://bucket/prefix
  --ids <a,b,...>         coin ids, into --store (default: --id)
  --id <coin>             CoinGecko coin id (default bitcoin)
  --vs <c[,d...]>         quote currency (default usd); several with --store
  --count <N>             stop after N ticks (default: run until interrupted)
  --compact-after <N>     with --store: compact once the store holds N small parts (default 32; 0: never)
  --calls-per-minute <N>  client-side rate limit (default 30 for demo, 250 for pro)
  --base-url <URL>        API root (default by plan: https://api.coingecko.com/api/v3 or https://pro-api.coingecko.com/api/v3)
${S3_FLAGS_USAGE}

Environment:
  COINGECKO_API_KEY       API key, sent only in the x-cg-demo-api-key / x-cg-pro-api-key header
  COINGECKO_PLAN          demo (default) or pro

Data provided by CoinGecko (https://www.coingecko.com).`;

/** `tfpl ingest`: the fixed-interval collector. */
const ingest: Command = {
  name: 'ingest',
  summary: 'poll CoinGecko at a fixed interval into a CSV, or several coins and currencies into a store',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parseCommandArgs(
      argv,
      {
        interval: { type: 'string' },
        csv: { type: 'string' },
        store: { type: 'string' },
        count: { type: 'string' },
        id: { type: 'string' },
        ids: { type: 'string' },
        vs: { type: 'string' },
        'compact-after': { type: 'string' },
        'base-url': { type: 'string' },
        'calls-per-minute': { type: 'string' },
        ...S3_FLAGS,
      },
      false,
    );
    if (values.interval === undefined) throw new UsageError('--interval <sec> is required');
    if (values.csv === undefined && values.store === undefined) throw new UsageError('--csv <file> or --store <dir> is required');
    if (values.csv !== undefined && values.store !== undefined) throw new UsageError('give one of --csv <file> (one series), --store <dir> (a MarketSchema store), not both');
    const seconds = Number(values.interval);
    if (!Number.isFinite(seconds) || seconds < 0.001) throw new UsageError(`--interval must be a number of seconds >= 0.001; received ${JSON.stringify(values.interval)}`);
    const count = intFlag('count', values.count);
    const list = (flag: string, v: string) => {
      const items = v.split(',').map((x) => x.trim());
      if (items.some((x) => x === '')) throw new UsageError(`--${flag} must be a comma-separated list of names; received ${JSON.stringify(v)}`);
      return items;
    };
    if (values.id !== undefined && values.ids !== undefined) throw new UsageError('give --id <coin> or --ids <a,b,...>, not both');
    const currencies = values.vs === undefined ? ['usd'] : list('vs', values.vs);
    if (values.csv !== undefined) {
      if (values.ids !== undefined) throw new UsageError('--ids writes a MarketSchema store: give --store <dir> (a CSV holds one series)');
      if (currencies.length > 1) throw new UsageError(`--vs ${values.vs} names ${currencies.length} currencies: several series need --store`);
      if (values['compact-after'] !== undefined) throw new UsageError('--compact-after needs --store (a CSV is not compacted)');
    }
    const log = cliLogger('ingest', io);
    const client = coinGeckoClientFromEnv(io.env, { baseUrl: values['base-url'], callsPerMinute: intFlag('calls-per-minute', values['calls-per-minute']), log });

    const interrupt = abortOnSigint(io, 'ingest', 'finishing the current write');
    try {
      const common = { client, intervalMs: Math.round(seconds * 1000), count, signal: interrupt.signal, log };
      if (values.store !== undefined) {
        const ids = values.ids !== undefined ? list('ids', values.ids) : [values.id ?? 'bitcoin'];
        return await ingestIntoStore(values.store, ids, currencies, intFlag('compact-after', values['compact-after'], 0), s3OptionsFromFlags(values), common, io);
      }
      const result = await collect({ ...common, csvPath: values.csv!, id: values.id, vsCurrency: values.vs });
      io.stdout.write(
        `tfpl ingest: ${result.written} row(s) written to ${values.csv} in ${result.ticks} tick(s) (${result.duplicates} unchanged, ${result.skipped} skipped, ${result.missed} missed). Data provided by CoinGecko.\n`,
      );
      return EXIT_OK;
    } finally {
      interrupt.release();
    }
  },
};

/** `tfpl ingest --store`: every coin in every currency into a MarketSchema store, a commit per tick. */
async function ingestIntoStore(
  store: string,
  ids: string[],
  vsCurrencies: string[],
  compactAfter: number | undefined,
  s3: ReturnType<typeof s3OptionsFromFlags>,
  common: { client: CoinGeckoClient; intervalMs: number; count: number | undefined; signal: AbortSignal; log: (e: IngestLogEvent) => void },
  io: CliIO,
): Promise<number> {
  let compactions = 0;
  const sink = await storeMarketSink(store, MarketSchema, { compactAfter, log: common.log, onCompaction: (r) => (compactions += r.outcome === 'compacted' ? 1 : 0), ...(s3 ? { s3 } : {}) });
  let result;
  try {
    result = await collectMarket({ ...common, ids, vsCurrencies, sink });
  } finally {
    await sink.close?.();
  }
  const commits = result.written + result.partial;
  io.stdout.write(
    `tfpl ingest: ${result.rowsWritten} row(s) of ${ids.length * vsCurrencies.length} series written to ${store} in ${result.ticks} tick(s): ${commits} commit(s), ${result.partial} of them with failed calls; ` +
      `${result.duplicates} unchanged, ${result.skipped} skipped, ${result.missed} missed; ${compactions} compaction(s). Data provided by CoinGecko.\n`,
  );
  return EXIT_OK;
}

export default ingest;
