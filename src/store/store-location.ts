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
  /**
   * Looks whether the file at `path` changed since `version` (what the last look returned; null: unknown)
   * without reading it when it did not: a conditional GET (HTTP, S3), a stat (a folder). What `watchStore`
   * polls; a location without it is looked at by opening the file and comparing its `version`.
   */
  changedSince?(path: string, version: string | null, signal?: AbortSignal): Promise<FileLook>;
  /**
   * Calls `onChange` soon after the file at `path` may have changed (file-system events); returns the function
   * that stops it. Only a hint, to look sooner than the next poll: events can be lost or coalesced.
   */
  watchFile?(path: string, onChange: () => void): () => void;
}

/**
 * What a look at one file found: unchanged, or its current state: `file` (its bytes as found; null when it
 * does not exist) and `version`, to pass to the next look (null: nothing to compare with next time).
 */
export type FileLook = { changed: false } | { changed: true; version: string | null; file: ByteRangeSource | null };

/** What names a store: a local path, a `file://` or `http(s)://` URL, or any `StoreLocation`. */
export type StoreRef = string | URL | StoreLocation;

/** Metadata and in-progress files by the convention Spark, pyarrow and DuckDB share: names starting with `_` or `.`. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}
