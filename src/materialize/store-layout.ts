import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';

/** Summary file holding every row group of every part (pyarrow's `write_metadata` layout). The commit point. */
export const METADATA_FILE = '_metadata';
/** Schema-only summary file (no row groups). */
export const COMMON_METADATA_FILE = '_common_metadata';
/** Lock held by a writer for the length of one materialize call. */
export const LOCK_FILE = '_tfpl.lock';
/** Lock held by a compaction of a local store from its plan to its commit: one compaction at a time. */
export const COMPACTION_LOCK_FILE = '_tfpl-compaction.lock';
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

/** The sequence number of a part file written by this SDK's writer, or -1 for any other name. */
export function partSequence(name: string): number {
  const m = PART_RE.exec(name);
  return m ? Number(m[1]) : -1;
}

// Matches the `part-*.parquet` glob other tools are told to read, but not PART_RE: a writer's clean-up takes
// parts of its own kind only, so a compaction's parts written without the store lock are never taken for a
// killed writer's leftovers.
const COMPACTED_PART_RE = /^part-(\d{5,})-compacted-[0-9a-f-]{36}\.parquet$/;

export function compactedPartFileName(sequence: number): string {
  return `part-${String(sequence).padStart(5, '0')}-compacted-${randomUUID()}.parquet`;
}

/** The sequence number of a part written by a compaction, or -1 for any other name. */
export function compactedPartSequence(name: string): number {
  const m = COMPACTED_PART_RE.exec(name);
  return m ? Number(m[1]) : -1;
}

/** Whether `name` is the temporary file of a compaction's part (see `tempFileName`). */
export function isCompactedPartTemp(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith('.tmp') && compactedPartSequence(name.slice(TEMP_PREFIX.length, -'.tmp'.length)) >= 0;
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
