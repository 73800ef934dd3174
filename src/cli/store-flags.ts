import type { IoOptions } from '../index.js';
import { UsageError } from './command.js';

/** The flags of every command that reads or writes an `s3://` store (the AWS CLI's names). */
export const S3_FLAGS = {
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
} as const;

export const S3_FLAGS_USAGE = `  --endpoint-url <url>    an S3-compatible service for s3:// stores (MinIO, R2, GCS; default AWS_ENDPOINT_URL,
                          else AWS); credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile
  --region <name>         the bucket's region (default AWS_REGION, the profile's region, else us-east-1)
  --profile <name>        the profile of ~/.aws/credentials and ~/.aws/config (default AWS_PROFILE, else default)`;

/** `--endpoint-url`, `--region` and `--profile` as the `s3` option (undefined when none is given). */
export function s3OptionsFromFlags(values: { 'endpoint-url'?: string; region?: string; profile?: string }): IoOptions['s3'] {
  const s3 = {
    ...(values['endpoint-url'] !== undefined ? { endpoint: values['endpoint-url'] } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
  };
  return Object.keys(s3).length ? s3 : undefined;
}

/** The flags of every command that reads a store: the SDK's I/O options on the command line. */
export const STORE_FLAGS = {
  header: { type: 'string', multiple: true },
  files: { type: 'string' },
  'range-fallback': { type: 'string' },
  'fetch-timeout': { type: 'string' },
  retries: { type: 'string' },
  'cache-size': { type: 'string' },
  'cache-dir': { type: 'string' },
  ...S3_FLAGS,
} as const;

export const STORE_FLAGS_USAGE = `  --header "Name: value"  HTTP request header for a remote store, repeatable (e.g. "Authorization: Bearer …";
                          note that command lines are visible to other users of the machine)
  --files <a,b,...>       data files of an HTTP store that has no _metadata (paths relative to the store URL)
  --range-fallback <m>    error (default) | download: what to do when a server ignores HTTP Range requests
  --fetch-timeout <s>     seconds each HTTP request of a remote store may take (default 30)
  --retries <n>           tries of a remote request that fails transiently (5xx, 429, reset, timeout, cut
                          body) before giving up (default 5; 1: no retry)
  --cache-size <size>     keep fetched column chunks of a remote store in a cache of this size (e.g. 512MB,
                          2GiB), in memory, or in files under --cache-dir (shared with other processes)
  --cache-dir <dir>       folder of the cache (needs --cache-size)
${S3_FLAGS_USAGE}`;

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** `512MB`, `2GiB`, `1e9`: a byte count. */
export function parseByteSize(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!(bytes >= 1) || !Number.isSafeInteger(bytes)) throw new UsageError(`${flag} must be a size such as 512MB or 2GiB; received ${JSON.stringify(text)}`);
  return bytes;
}

/** The store flags (`--header`, `--files`, `--range-fallback`, `--fetch-timeout`, `--retries`, `--cache-*`) as the SDK's `IoOptions`. */
export function ioOptionsFromFlags(values: { header?: string[]; files?: string; 'range-fallback'?: string; 'fetch-timeout'?: string; retries?: string; 'cache-size'?: string; 'cache-dir'?: string; 'endpoint-url'?: string; region?: string; profile?: string }): IoOptions {
  const io: IoOptions = {};
  const s3 = s3OptionsFromFlags(values);
  if (s3) io.s3 = s3;
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
  if (values.retries !== undefined) {
    const attempts = Number(values.retries);
    if (!Number.isInteger(attempts) || attempts < 1) throw new UsageError(`--retries must be an integer >= 1 (tries of each request); received ${JSON.stringify(values.retries)}`);
    io.retry = { attempts };
  }
  if (values['cache-dir'] !== undefined && values['cache-size'] === undefined) throw new UsageError('--cache-dir needs --cache-size (how large the cache may grow)');
  if (values['cache-size'] !== undefined) io.cache = { bytes: parseByteSize('--cache-size', values['cache-size']), ...(values['cache-dir'] ? { dir: values['cache-dir'] } : {}) };
  return io;
}
