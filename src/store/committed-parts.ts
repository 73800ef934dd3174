import { ParquetReadError } from './parquet-read-error.js';

/**
 * Key of `_metadata`'s key-value metadata under which this SDK records each committed part's size and row
 * count, so a part that was truncated, extended or replaced after its commit is refused, not misread.
 */
export const COMMITTED_PARTS_KEY = 'tfjs-parquet-loader.parts.v1';

/** What a commit recorded of one part file. */
export interface CommittedPart {
  byteLength: number;
  numRows: number;
}

/** Serialises the record: `{ "part-00000-….parquet": { "byteLength": …, "numRows": … }, … }`. */
export function formatCommittedParts(parts: ReadonlyMap<string, CommittedPart>): string {
  return JSON.stringify(Object.fromEntries(parts));
}

/** Parses the record (null when `_metadata` has none: other writers, and this SDK before it wrote one). */
export function parseCommittedParts(value: string | undefined, where: string): Map<string, CommittedPart> | null {
  if (value === undefined) return null;
  try {
    const obj = JSON.parse(value) as Record<string, CommittedPart>;
    return new Map(Object.entries(obj).map(([k, v]) => [k, { byteLength: Number(v.byteLength), numRows: Number(v.numRows) }]));
  } catch (err) {
    throw new ParquetReadError(`${COMMITTED_PARTS_KEY} does not hold a valid record of the committed parts (${(err as Error).message}); regenerate the store's _metadata`, { file: where }, { cause: err });
  }
}

/**
 * Refuses a part whose size, or whose own footer's row count, no longer matches what its commit recorded in
 * `_metadata`.
 *
 * @example
 * checkCommittedPart('s/part-0.parquet', { byteLength: 5120, numRows: 1500 }, { byteLength: 5000 }); // throws
 */
export function checkCommittedPart(file: string, recorded: CommittedPart, actual: { byteLength?: number; numRows?: number; rowGroups?: number }, recordedRowGroups?: number): void {
  const advice = 'the part was truncated, extended or replaced after its commit: restore it from a copy, or rewrite the store (verifyChecksums: false reads it unchecked)';
  if (actual.byteLength !== undefined && actual.byteLength !== recorded.byteLength) {
    throw new ParquetReadError(`part is ${actual.byteLength} bytes but _metadata recorded ${recorded.byteLength} at its commit; ${advice}`, { file });
  }
  if (actual.numRows !== undefined && actual.numRows !== recorded.numRows) {
    throw new ParquetReadError(`part's footer holds ${actual.numRows} rows but _metadata recorded ${recorded.numRows} at its commit; ${advice}`, { file });
  }
  if (actual.rowGroups !== undefined && recordedRowGroups !== undefined && actual.rowGroups !== recordedRowGroups) {
    throw new ParquetReadError(`part's footer holds ${actual.rowGroups} row groups but _metadata lists ${recordedRowGroups}; ${advice}`, { file });
  }
}
