import { coinGeckoClientFromEnv, collect, type IngestLogEvent } from '../../ingest/index.js';
import { type CliIO, type Command, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';

/** Writes ingest events to the command's stderr, one line each; debug events are dropped. */
export function cliLogger(name: string, io: CliIO): (event: IngestLogEvent) => void {
  return (event) => {
    if (event.level === 'debug') return;
    io.stderr.write(`tfpl ${name}: ${event.level}: ${event.message}${event.reason ? ` [${event.reason}]` : ''}\n`);
  };
}

const usage = `Usage: tfpl ingest --interval <sec> --csv <file> [--count N] [--id bitcoin] [--vs usd] [--calls-per-minute N] [--base-url URL]

Polls CoinGecko /simple/price every --interval seconds on the wall clock and appends each new row
(timestamp,price_usd,market_cap,price_change_24h,total_volume) to --csv, fsynced before the next tick.
Bad responses are logged with their reason and skipped; a restart continues the same file.
Ctrl-C finishes the current write and exits.

Options:
  --interval <sec>        seconds between ticks (> 0, decimals allowed)
  --csv <file>            CSV to create or append to
  --count <N>             stop after N ticks (default: run until interrupted)
  --id <coin>             CoinGecko coin id (default bitcoin)
  --vs <currency>         quote currency (default usd)
  --calls-per-minute <N>  client-side rate limit (default 30 for demo, 250 for pro)
  --base-url <URL>        API root (default by plan: https://api.coingecko.com/api/v3 or https://pro-api.coingecko.com/api/v3)

Environment:
  COINGECKO_API_KEY       API key, sent only in the x-cg-demo-api-key / x-cg-pro-api-key header
  COINGECKO_PLAN          demo (default) or pro

Data provided by CoinGecko (https://www.coingecko.com).`;

/** `tfpl ingest`: the fixed-interval collector. */
const ingest: Command = {
  name: 'ingest',
  summary: 'poll CoinGecko at a fixed interval into a CSV',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = parseCommandArgs(
      argv,
      { interval: { type: 'string' }, csv: { type: 'string' }, count: { type: 'string' }, id: { type: 'string' }, vs: { type: 'string' }, 'base-url': { type: 'string' }, 'calls-per-minute': { type: 'string' } },
      false,
    );
    if (values.interval === undefined) throw new UsageError('--interval <sec> is required');
    if (values.csv === undefined) throw new UsageError('--csv <file> is required');
    const seconds = Number(values.interval);
    if (!Number.isFinite(seconds) || seconds < 0.001) throw new UsageError(`--interval must be a number of seconds >= 0.001; received ${JSON.stringify(values.interval)}`);
    const count = intFlag('count', values.count);
    const log = cliLogger('ingest', io);
    const client = coinGeckoClientFromEnv(io.env, { baseUrl: values['base-url'], callsPerMinute: intFlag('calls-per-minute', values['calls-per-minute']), log });

    const controller = new AbortController();
    const onSigint = () => {
      io.stderr.write('tfpl ingest: interrupted; finishing the current write\n');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    try {
      const result = await collect({
        client,
        intervalMs: Math.round(seconds * 1000),
        count,
        csvPath: values.csv,
        id: values.id,
        vsCurrency: values.vs,
        signal: controller.signal,
        log,
      });
      io.stdout.write(
        `tfpl ingest: ${result.written} row(s) written to ${values.csv} in ${result.ticks} tick(s) (${result.duplicates} unchanged, ${result.skipped} skipped, ${result.missed} missed). Data provided by CoinGecko.\n`,
      );
      return EXIT_OK;
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

export default ingest;
