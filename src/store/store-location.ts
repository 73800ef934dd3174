import { ConfigError } from '../errors.js';
import { pathLocation } from '../platform.js';
import type { ByteRangeSource } from './byte-range-source.js';
import { httpLocation } from './http-location.js';
import type { FetchStats, HttpSourceOptions } from './http-source.js';

/**
 * Where a store's files live: a local folder, an HTTP(S) prefix, or anything else that can read byte
 * ranges (an S3/GCS bucket prefix). Paths are relative to the store root with `/` separators.
 *
 * @example
 * // An S3 store: list with ListObjectsV2, read with ranged GetObject.
 * const s3Location: StoreLocation = {
 *   url: 's3://bucket/btc',
 *   list: async () => keysUnder('btc/'),
 *   open: async (path) => ({ name: path, byteLength: await sizeOf(path), read: (s, e) => getRange(path, s, e) }),
 * };
 */
export interface StoreLocation {
  /** For messages. */
  readonly url: string;
  /**
   * Every data file (`*.parquet`, skipping names starting with `_` or `.` at any level), or null when
   * the location cannot list (plain HTTP): the store's `_metadata` or `_common_metadata` must name them.
   */
  list(): Promise<string[] | null>;
  /** The file at `path`, or null when it does not exist. */
  open(path: string): Promise<ByteRangeSource | null>;
  /** True when the location is one file, not a folder (summary files next to it are ignored). */
  readonly singleFile?: boolean;
  /** Bytes fetched so far, for remote locations. */
  readonly stats?: FetchStats;
}

/** What names a store: a local path, a `file://` or `http(s)://` URL, or any `StoreLocation`. */
export type StoreRef = string | URL | StoreLocation;

/** Metadata and in-progress files by the convention Spark, pyarrow and DuckDB share: names starting with `_` or `.`. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

/**
 * Resolves a store reference: `http(s)://` to an HTTP location, a `StoreLocation` as is, and a path or
 * `file://` URL as the platform reads one (Node: a local folder; a browser: a URL relative to the page).
 */
export async function resolveLocation(store: StoreRef, http: HttpSourceOptions & { files?: readonly string[] }, caller: string): Promise<StoreLocation> {
  if (typeof store === 'object' && !(store instanceof URL)) {
    if (store === null || typeof store.open !== 'function' || typeof store.list !== 'function') {
      throw new ConfigError(`${caller}: store must be a path, a file:// or http(s):// URL, or a StoreLocation { url, list(), open() }; received ${store === null ? 'null' : 'an object without list() and open()'}`);
    }
    return store;
  }
  const s = String(store);
  if (/^https?:\/\//i.test(s)) return httpLocation(s, http);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !s.startsWith('file://')) {
    throw new ConfigError(`${caller}: unsupported store URL scheme in ${s}; use a path, file://, http(s)://, or pass a StoreLocation (see README: byte-range sources)`);
  }
  if (s.length === 0) throw new ConfigError(`${caller}: store must be a non-empty path or URL`);
  return pathLocation(s, http, caller);
}
