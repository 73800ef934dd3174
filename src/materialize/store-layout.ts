import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';

/** Summary file holding every row group of every part (pyarrow's `write_metadata` layout). The commit point. */
export const METADATA_FILE = '_metadata';
/** Schema-only summary file (no row groups). */
export const COMMON_METADATA_FILE = '_common_metadata';
/** Lock held by a writer for the length of one materialize call. */
export const LOCK_FILE = '_tfpl.lock';
/** Prefix of files being written. */
export const TEMP_PREFIX = '.tfpl-tmp-';

/**
 * Name of a file while it is being written: a leading dot hides it from Spark and pyarrow, and the `.tmp`
 * suffix from globs like DuckDB's `read_parquet('<store>/*.parquet')`, which match dot-files too.
 */
export function tempFileName(name: string): string {
  return `${TEMP_PREFIX}${name}.tmp`;
}

const PART_RE = /^part-(\d{5,})-[0-9a-f-]{36}\.parquet$/;

export function partFileName(sequence: number): string {
  return `part-${String(sequence).padStart(5, '0')}-${randomUUID()}.parquet`;
}

/** The sequence number of a part file written by this SDK, or -1 for any other name. */
export function partSequence(name: string): number {
  const m = PART_RE.exec(name);
  return m ? Number(m[1]) : -1;
}

/**
 * Whether a directory entry is data, by the convention Spark, pyarrow and DuckDB share: names starting
 * with `_` or `.` are metadata or in-progress files.
 */
export function isDataFileName(name: string): boolean {
  return name.endsWith('.parquet') && !name.startsWith('_') && !name.startsWith('.');
}

/** A local store path from a path or `file://` URL (`s3://` stores have their own target; other schemes cannot be written). */
export function localStorePath(storeUrl: string | URL, caller: string): string {
  const s = String(storeUrl);
  if (s.startsWith('file://')) return fileURLToPath(s);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) throw new ConfigError(`${caller}: stores can be written to a path, a file:// URL or an s3:// URL; received ${s}`);
  if (s.length === 0) throw new ConfigError(`${caller}: storeUrl must be a non-empty path`);
  return s;
}
