import { z } from 'zod';
import { DEFAULT_FETCH_TIMEOUT_MS, RANGE_FALLBACKS } from './http-source.js';
import { DEFAULT_RETRY } from './remote-request.js';
import { s3OptionsSchema } from './s3/s3-config.js';

const ms = (what: string) => z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` }).min(0, { error: `must be ${what}` });
const positiveInt = (what: string) => z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });

/**
 * How a store's bytes are fetched. Declared once; every function that opens a store takes these and
 * forwards them unchanged (`openStore`, `makeBatchReader`, `makeReader`, `makeTfDataset`, the application
 * and the CLI's `--header`, `--files`, `--range-fallback`, `--fetch-timeout`).
 */
export const ioOptionsShape = {
  /** Extra HTTP request headers, e.g. `{ authorization: 'Bearer …' }`. Default: none. */
  headers: z.record(z.string(), z.string(), { error: 'must be an object of header names to string values' }).optional(),
  /** The `fetch` used for HTTP stores (tests, proxies, custom auth). Default: the global `fetch`. */
  fetch: z.custom<typeof globalThis.fetch>((v) => typeof v === 'function', { error: 'must be a fetch function' }).optional(),
  /**
   * An HTTP store without `_metadata` (and without Petastorm's file list): its data files, relative to the
   * store URL. Default: none (the store's summary files name them).
   */
  files: z.array(z.string().min(1), { error: 'must be an array of file paths' }).optional(),
  /**
   * A server that answers a ranged GET with the whole file: `'error'` (a clear `ParquetReadError`) or
   * `'download'` (keep whole files in memory). Default `'error'`.
   */
  rangeFallback: z.enum(RANGE_FALLBACKS).default('error'),
  /**
   * Milliseconds each HTTP request may take, its body included; a request still running then fails with a
   * `ParquetReadError` naming the file and the byte range, so a dead or stalled server never hangs a read.
   * Default 30 000.
   */
  fetchTimeoutMs: z.number({ error: 'must be a number of milliseconds > 0' }).int({ error: 'must be a whole number of milliseconds' }).positive({ error: 'must be a number of milliseconds > 0' }).default(DEFAULT_FETCH_TIMEOUT_MS),
  /**
   * Verify checksums before decoding: the footer CRC and the per-page CRC-32s this SDK writes, the format's
   * page CRCs of other writers, and each part's size against `_metadata`. A mismatch is a
   * `ParquetReadError` naming the file, row group, column and page. `false` skips them (to salvage a
   * damaged file). Default true.
   */
  verifyChecksums: z.boolean().default(true),
  /**
   * How every remote request (HEAD, ranged GET, list, PUT) is retried after a transient failure: a reset or
   * refused connection, a request timeout, a body shorter than asked for, 408, 429 or 5xx (waiting at least
   * what `Retry-After` asks). Waits are random in [0, ceiling] (full jitter), the ceiling doubling from
   * `baseDelayMs` up to `maxDelayMs`; at most `attempts` tries, and none started after `maxElapsedMs`. 400,
   * 401, 403, 404, 412 and 416 are never retried. Default `{ attempts: 5, baseDelayMs: 100, maxDelayMs: 5000,
   * maxElapsedMs: 60000 }`; `{ attempts: 1 }` turns retries off.
   */
  retry: z
    .strictObject({
      attempts: positiveInt('an integer >= 1').default(DEFAULT_RETRY.attempts),
      baseDelayMs: ms('a whole number of milliseconds >= 0').default(DEFAULT_RETRY.baseDelayMs),
      maxDelayMs: ms('a whole number of milliseconds >= 0').default(DEFAULT_RETRY.maxDelayMs),
      maxElapsedMs: ms('a whole number of milliseconds >= 0').default(DEFAULT_RETRY.maxElapsedMs),
    })
    .prefault({}),
  /**
   * A cache of the column chunks and footers fetched from a remote store (HTTP, S3), so later epochs and the
   * other datasets of the same store (train, validation, test) read them from memory or disk instead of the
   * network: `{ bytes }` in memory, `{ dir, bytes }` in files under `dir` (Node; several processes may share
   * one folder). Entries are keyed by URL, version (ETag) and byte range, evicted least recently used past
   * `bytes`, written atomically and checked (CRC-32) when reused: a damaged entry is dropped and fetched
   * again. Local stores read their own files and ignore it. Default: no cache.
   */
  cache: z
    .strictObject({
      bytes: positiveInt('a whole number of bytes >= 1'),
      dir: z.string({ error: 'must be a folder path' }).min(1).optional(),
    })
    .optional(),
  /**
   * How far byte reads run ahead of decoding, apart from the decode threads: at most `bytes` of column
   * chunks fetched or being fetched and not yet decoded, in at most `requests` requests at once (adjacent
   * chunks of a row group are one request). Over a network this hides the latency of each request. Default
   * `{ bytes: 64 MiB, requests: 16 }` for remote stores; for local ones `{ bytes: 0, requests: 4 }`, only the
   * row groups being decoded (`prefetch`): the OS reads a local file ahead.
   */
  readAhead: z
    .strictObject({
      bytes: positiveInt('a whole number of bytes >= 1').optional(),
      requests: positiveInt('an integer >= 1').optional(),
    })
    .optional(),
  /**
   * How `s3://bucket/prefix` stores are reached: `{ region, endpoint, credentials: { accessKeyId,
   * secretAccessKey, sessionToken? }, forcePathStyle, profile }`. Each defaults to what the AWS tools find:
   * `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, the `AWS_PROFILE` profile of
   * `~/.aws/credentials` and `~/.aws/config`, `AWS_REGION`, `AWS_ENDPOINT_URL` (MinIO, R2, GCS: path-style);
   * without credentials, requests go unsigned (public buckets). In a browser only this option applies.
   */
  s3: s3OptionsSchema.optional(),
};

/**
 * The I/O options a writer takes (`materializeDataset`, `compactStore`, `storeMarketSink`): how to reach an
 * object store, and the retries and timeout of its requests; the rest of `ioOptionsShape` is for readers.
 */
export const writeIoOptionsShape = {
  s3: ioOptionsShape.s3,
  fetch: ioOptionsShape.fetch,
  retry: ioOptionsShape.retry,
  fetchTimeoutMs: ioOptionsShape.fetchTimeoutMs,
};

/**
 * The zod schema of `IoOptions`, to extend in option types of your own that open stores.
 *
 * @example
 * const mySchema = ioOptionsSchema.extend({ store: z.string() });
 */
export const ioOptionsSchema: z.ZodObject<typeof ioOptionsShape, z.core.$strict> = z.strictObject(ioOptionsShape);

/** How a store's bytes are fetched (HTTP headers, `fetch`, file list, Range fallback); see `ioOptionsShape`. */
export type IoOptions = z.input<typeof ioOptionsSchema>;

/** `IoOptions` after parsing (defaults applied). */
export type ParsedIoOptions = z.output<typeof ioOptionsSchema>;
