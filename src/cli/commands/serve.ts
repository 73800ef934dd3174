import { serveStore, type ServeStoreOptions } from '../../index.js';
import { type CliIO, type Command, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';
import { ioOptionsFromFlags } from '../store-flags.js';

const usage = `Usage: tfpl serve <store> [--port N] [--host H] [--cors-origin O | --no-cors] [--header "Name: value"]...

Serves a store folder over HTTP for browser pages and remote readers: its part files (Hive key=value
folders included) and its _metadata / _common_metadata, with Range requests (only the bytes a reader
asks for are sent) and CORS, so a page on another origin can read it with
makeTfDataset('http://host:port/') or openStore; \`tfpl inspect http://host:port/\` works too.
Read-only: folders, dot-files and every path outside the store are 404. Runs until Ctrl-C or SIGTERM.

Options:
  --port <N>              port to listen on (default 8080; 0 picks a free one)
  --host <H>              address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: every interface)
  --cors-origin <O>       the origin allowed to read the store from a page (default *: any origin)
  --no-cors               send no CORS headers (pages on other origins cannot read the store)
  --header "Name: value"  a request header every GET and HEAD must carry, else 401; repeatable
                          (e.g. "Authorization: Bearer …"; note that command lines are visible to other
                          users of the machine). CORS preflights never need it.
  -h, --help              show this help`;

/** The CLI's I/O, plus a signal that stops the server as SIGINT would (for running `tfpl serve` in-process). */
export type ServeIO = CliIO & { signal?: AbortSignal };

/** `tfpl serve`: a store over HTTP with Range and CORS until interrupted. */
const serve: Command = {
  name: 'serve',
  summary: 'serve a store over HTTP with Range and CORS, for browser pages and remote readers',
  usage,
  async run(argv: string[], io: ServeIO): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'cors-origin': { type: 'string' },
      'no-cors': { type: 'boolean' },
      header: { type: 'string', multiple: true },
    });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one store folder; received ${positionals.length}`);
    const store = positionals[0]!;
    const port = intFlag('port', values.port, 0) ?? 8080;
    if (port > 65_535) throw new UsageError(`--port must be an integer from 0 to 65535; received ${JSON.stringify(values.port)}`);
    if (values['no-cors'] && values['cors-origin'] !== undefined) throw new UsageError('--cors-origin and --no-cors exclude each other');
    const options: ServeStoreOptions = { port, corsOrigin: values['no-cors'] ? false : (values['cors-origin'] ?? '*') };
    if (values.host !== undefined) options.host = values.host;
    const headers = ioOptionsFromFlags({ header: values.header }).headers;
    if (headers) options.headers = headers;

    const stopped = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => stopped.abort(signal);
    const onAbort = () => stopped.abort('stop');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const served = await serveStore(store, options);
      try {
        const cors = options.corsOrigin === false ? 'no CORS' : `CORS ${options.corsOrigin}`;
        const needs = headers ? `, requires ${Object.keys(headers).join(', ')}` : '';
        io.stdout.write(`serving ${store} at ${served.url} (Range, ${cors}${needs}); open it with makeTfDataset('${served.url}') — Ctrl-C stops\n`);
        if (io.signal?.aborted) stopped.abort('stop');
        if (!stopped.signal.aborted) await new Promise((resolve) => stopped.signal.addEventListener('abort', resolve, { once: true }));
        const reason = stopped.signal.reason as string;
        io.stderr.write(`tfpl serve: ${reason === 'stop' ? 'stopped' : `interrupted (${reason}); stopped`}\n`);
      } finally {
        await served.close();
      }
      return EXIT_OK;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.signal?.removeEventListener('abort', onAbort);
    }
  },
};

export default serve;
