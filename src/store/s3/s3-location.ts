import type { ByteRangeSource } from '../byte-range-source.js';
import { isEntityTag } from '../http-changed-since.js';
import { DEFAULT_FETCH_TIMEOUT_MS } from '../http-source.js';
import { FileChangedError } from '../parquet-read-error.js';
import { ObjectStoreError } from './s3-errors.js';
import { DEFAULT_RETRY, newFetchStats, type FetchStats, type RetryPolicy } from '../remote-request.js';
import { isHiddenName, type StoreLocation } from '../store-location.js';
import { S3Client, type WriteCondition } from './s3-client.js';
import { resolveS3Config, type S3Options } from './s3-config.js';
import { comparePaths } from './s3-list.js';
import type { AwsSharedConfig } from './s3-shared-config.js';
import { uploadChunks, type UploadOptions, type UploadResult } from './s3-upload.js';
import { parseS3Url } from './s3-url.js';

/** How an `s3://` location reaches its bucket and sends its requests. */
export interface S3LocationOptions {
  /** Region, endpoint, credentials, addressing, profile; see `s3OptionsShape`. */
  s3?: S3Options;
  /** What Node's `awsSharedConfig()` found (environment, `~/.aws`). Default null: explicit options only (a browser). */
  shared?: AwsSharedConfig | null;
  /** The `fetch` signed requests are sent with. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Counters to add to (shared by every file of the store). Default: fresh ones. */
  stats?: FetchStats;
  /** Retries of transient failures. Default `DEFAULT_RETRY`. */
  retry?: RetryPolicy;
  /** Milliseconds per attempt, its body included. Default 30 000. */
  fetchTimeoutMs?: number;
  /** Ends every request at once. */
  signal?: AbortSignal;
  /** Keys per ListObjectsV2 page (at most 1,000). Default 1,000. */
  listPageSize?: number;
}

/** One object of a store, as a writer sees it: its path under the store, size and version. */
export interface S3StoreObject {
  path: string;
  size: number;
  etag: string | undefined;
  lastModified: Date | undefined;
}

/**
 * A store in a bucket: what the readers need (`list`, `open`) and what a writer builds its commit on
 * (conditional puts, uploads, removal, a full listing and versions).
 */
export interface S3Location extends StoreLocation {
  readonly bucket: string;
  /** The key prefix of the store: '' or ending with `/`. */
  readonly prefix: string;
  readonly client: S3Client;
  readonly stats: FetchStats;
  /** Writes `path` in one PUT; a failed condition is an `ObjectStoreError` with reason `'precondition-failed'`. */
  putFile(path: string, bytes: Uint8Array, condition?: WriteCondition): Promise<{ etag: string }>;
  /** Writes `path` from a stream of chunks (multipart above `partSize`). */
  uploadFile(path: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options?: UploadOptions): Promise<UploadResult>;
  /** Deletes these paths (missing ones are fine). */
  remove(paths: readonly string[]): Promise<void>;
  /** Every object under the prefix, `_` and `.` names included, sorted like `list()`. */
  listAll(): Promise<S3StoreObject[]>;
  /** The current ETag of `path`, or null when it does not exist. */
  versionOf(path: string): Promise<string | null>;
}

/**
 * A store at `s3://bucket/prefix` (or one file, `s3://bucket/path/file.parquet`), read with ranged GETs that
 * send `If-Match` with the ETag pinned when each file was opened: a file replaced mid-read fails with a
 * `'precondition-failed'` `ObjectStoreError` instead of mixing two versions. Listing is ListObjectsV2 with
 * pagination. A malformed URL or option is a `ConfigError` before any request.
 *
 * @example
 * const location = s3Location('s3://my-bucket/stores/btc', { shared: await awsSharedConfig() });
 * const store = await openStore(location);
 * @example
 * // MinIO, path-style, explicit keys (a browser has nothing else)
 * s3Location('s3://data/btc', { s3: { endpoint: 'http://127.0.0.1:9000', credentials: { accessKeyId, secretAccessKey } } });
 */
export function s3Location(url: string, options: S3LocationOptions = {}): S3Location {
  const caller = 's3Location';
  const parsed = parseS3Url(url, caller);
  const single = /\.parquet$/i.test(parsed.prefix.slice(0, -1)) && !url.endsWith('/');
  const fileKey = single ? parsed.prefix.slice(0, -1) : undefined;
  const prefix = fileKey === undefined ? parsed.prefix : fileKey.slice(0, fileKey.lastIndexOf('/') + 1);
  const config = resolveS3Config(options.s3, options.shared ?? null, caller);
  const stats = options.stats ?? newFetchStats();
  const client = new S3Client(parsed.bucket, config, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    stats,
    retry: options.retry ?? DEFAULT_RETRY,
    timeoutMs: options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const keyOf = (path: string) => `${prefix}${path}`;
  const pageSize = options.listPageSize === undefined ? {} : { pageSize: options.listPageSize };

  async function listAll(): Promise<S3StoreObject[]> {
    const objects = await client.list(prefix, pageSize);
    return objects
      .filter((o) => o.key.length > prefix.length && !o.key.endsWith('/'))
      .map((o) => ({ path: o.key.slice(prefix.length), size: o.size, etag: o.etag, lastModified: o.lastModified }))
      .sort((a, b) => comparePaths(a.path, b.path));
  }

  return {
    url,
    bucket: parsed.bucket,
    prefix,
    client,
    stats,
    singleFile: single,
    async list() {
      if (fileKey !== undefined) return [fileKey.slice(prefix.length)];
      const all = await listAll();
      return all.map((o) => o.path).filter((p) => p.endsWith('.parquet') && !p.split('/').some(isHiddenName));
    },
    async open(path): Promise<ByteRangeSource | null> {
      const key = keyOf(path);
      const head = await client.headObject(key);
      if (head === null) return null;
      const { etag } = head;
      // Without an ETag (a service that sends none) size and Last-Modified stand for the version, and reads are unconditional.
      const version = etag ?? `${head.byteLength}-${head.lastModified?.getTime() ?? 0}`;
      return {
        name: client.nameOf(key),
        byteLength: head.byteLength,
        version,
        read: (start, end) =>
          client.getRange(key, start, end, etag === undefined ? {} : { ifMatch: etag }).catch((err: unknown) => {
            // The same error a changed local or HTTP file gives: reopening the store reads its new state.
            if (err instanceof ObjectStoreError && err.reason === 'precondition-failed') {
              throw new FileChangedError(`the object changed after the store was opened (ETag ${etag} no longer matches); nothing of the new bytes was used: reopen the store to read its new state`, { file: client.nameOf(key) }, { cause: err });
            }
            throw err;
          }),
      };
    },
    async changedSince(path, version, signal) {
      const etag = version !== null && isEntityTag(version) ? version : null;
      const got = await client.getObjectIfChanged(keyOf(path), etag, signal);
      if (got === null || (etag !== null && got.etag === etag)) return { changed: false };
      if (got.bytes === null) return { changed: true, version: null, file: null };
      const bytes = got.bytes;
      const file = { name: client.nameOf(keyOf(path)), byteLength: bytes.length, version: got.etag ?? `${bytes.length}-${got.lastModified?.getTime() ?? 0}`, read: async (start: number, end: number) => bytes.subarray(start, end) };
      // Without an ETag there is nothing to ask the service about next time: the bytes are compared instead.
      return { changed: true, version: got.etag ?? null, file };
    },
    putFile: (path, bytes, condition) => client.putObject(keyOf(path), bytes, condition),
    uploadFile: (path, chunks, uploadOptions) => uploadChunks(client, keyOf(path), chunks, uploadOptions),
    remove: (paths) => client.deleteObjects(paths.map(keyOf)),
    listAll,
    async versionOf(path) {
      const head = await client.headObject(keyOf(path));
      return head === null ? null : (head.etag ?? `${head.byteLength}-${head.lastModified?.getTime() ?? 0}`);
    },
  };
}
