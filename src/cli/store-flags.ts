import type { IoOptions } from '../index.js';
import { UsageError } from './command.js';

/** The flags of every command that reads a store: the SDK's I/O options on the command line. */
export const STORE_FLAGS = {
  header: { type: 'string', multiple: true },
  files: { type: 'string' },
  'range-fallback': { type: 'string' },
  'fetch-timeout': { type: 'string' },
} as const;

export const STORE_FLAGS_USAGE = `  --header "Name: value"  HTTP request header for a remote store, repeatable (e.g. "Authorization: Bearer …";
                          note that command lines are visible to other users of the machine)
  --files <a,b,...>       data files of an HTTP store that has no _metadata (paths relative to the store URL)
  --range-fallback <m>    error (default) | download: what to do when a server ignores HTTP Range requests
  --fetch-timeout <s>     seconds each HTTP request of a remote store may take (default 30)`;

/** `--header`, `--files`, `--range-fallback` and `--fetch-timeout` as the SDK's `IoOptions`. */
export function ioOptionsFromFlags(values: { header?: string[]; files?: string; 'range-fallback'?: string; 'fetch-timeout'?: string }): IoOptions {
  const io: IoOptions = {};
  if (values.header?.length) {
    const headers: Record<string, string> = {};
    for (const h of values.header) {
      const colon = h.indexOf(':');
      if (colon <= 0) throw new UsageError(`--header must look like "Name: value"; received a value without a name before ':'`);
      headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
    }
    io.headers = headers;
  }
  if (values.files !== undefined) io.files = values.files.split(',').map((f) => f.trim()).filter(Boolean);
  const fallback = values['range-fallback'];
  if (fallback !== undefined) {
    if (fallback !== 'error' && fallback !== 'download') throw new UsageError(`--range-fallback must be error or download; received ${JSON.stringify(fallback)}`);
    io.rangeFallback = fallback;
  }
  const timeout = values['fetch-timeout'];
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!(seconds > 0) || !Number.isFinite(seconds)) throw new UsageError(`--fetch-timeout must be a number of seconds > 0; received ${JSON.stringify(timeout)}`);
    io.fetchTimeoutMs = Math.round(seconds * 1000);
  }
  return io;
}
