import type { ByteRangeSource } from './byte-range-source.js';
import type { FetchStats } from './http-source.js';

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
