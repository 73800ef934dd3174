import type { StoreRowGroup } from '../store/open-store.js';

/**
 * What the readers fetch, decode and hand on as one batch: a row group, or a slice of rows of one where the
 * row group is larger than `maxBatchBytes` allows. Plans (shards, shuffles, the windowing's units) are made
 * of them, so a row group of any size is read in bounded memory.
 */
export interface ReadUnit {
  /** Position in the list of units (what plans shuffle and shard). */
  ordinal: number;
  rowGroup: StoreRowGroup;
  /** Rows [rowStart, rowEnd) of the row group. */
  rowStart: number;
  rowEnd: number;
  /** rowEnd − rowStart. */
  numRows: number;
}

/** Bytes of one decoded value at most, for the columns a unit is cut for (float64, int64, timestamps as float64 ms). */
export const VALUE_BYTES = 8;

/** The default of `maxBatchBytes`: 16 MiB a column, row groups of up to 2,097,152 rows whole; the SDK's row groups (65,536 rows) are never cut. */
export const DEFAULT_MAX_BATCH_BYTES = 16 * 2 ** 20;

/**
 * Rows of a slice at most: a large row group is cut finer than the bound needs, so its first batch comes
 * after one slice is decoded, shuffles mix finer units, and the window stage reuses its views (as for the
 * SDK's own row groups).
 */
export const MAX_SLICE_ROWS = 2 ** 18;

/** Internal switch for differential tests: cut units of this many rows whatever `maxBatchBytes` says (pages keep its limit). */
export const unitSettings: { rows?: number } = {};

/** Rows of a row group that is read whole, at most, for `maxBatchBytes`. */
export function unitRowsFor(maxBatchBytes: number): number {
  return unitSettings.rows ?? Math.max(1, Math.floor(maxBatchBytes / VALUE_BYTES));
}

/** Rows of a slice of a row group too large to read whole. */
export function sliceRowsFor(maxBatchBytes: number): number {
  return unitSettings.rows ?? Math.min(MAX_SLICE_ROWS, unitRowsFor(maxBatchBytes));
}

/**
 * The units of `rowGroups` in order: each row group whole when it has at most `maxBatchBytes / 8` rows, else
 * cut into slices of `MAX_SLICE_ROWS` rows (fewer when the bound asks; the last one shorter). The cut depends
 * on the row counts alone, not on the columns read, so every pass over a store (the windowing's first pass,
 * its epochs) sees the same units.
 *
 * @example
 * unitsOf(store.rowGroups, 16 * 2 ** 20); // a row group of 20M rows → 77 units of 262,144 rows (the last 77,056)
 */
export function unitsOf(rowGroups: readonly StoreRowGroup[], maxBatchBytes: number): ReadUnit[] {
  const whole = unitRowsFor(maxBatchBytes);
  const size = sliceRowsFor(maxBatchBytes);
  const out: ReadUnit[] = [];
  for (const rowGroup of rowGroups) {
    if (rowGroup.numRows <= whole) {
      out.push({ ordinal: out.length, rowGroup, rowStart: 0, rowEnd: rowGroup.numRows, numRows: rowGroup.numRows });
      continue;
    }
    for (let start = 0; start < rowGroup.numRows; start += size) {
      const end = Math.min(rowGroup.numRows, start + size);
      out.push({ ordinal: out.length, rowGroup, rowStart: start, rowEnd: end, numRows: end - start });
    }
  }
  return out;
}

/** Whether a unit is a whole row group. */
export function isWhole(unit: ReadUnit): boolean {
  return unit.rowStart === 0 && unit.rowEnd === unit.rowGroup.numRows;
}
