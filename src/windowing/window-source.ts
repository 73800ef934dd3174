import { ConfigError, describeValue } from '../errors.js';
import type { ColumnBatch, NumericColumn } from '../schema/columns.js';

/** A run of rows from a `WindowSource`; `startRow` says where it starts when it does not follow the previous one. */
export interface SourceBatch extends ColumnBatch {
  /**
   * Set only by a source that skipped rows before the `fromRow` it was given: the index of this (first) batch's
   * first row in the whole source. Omitted, the batch follows the previous one (the first starts at row 0).
   */
  readonly startRow?: number;
}

/**
 * What the windowing stage reads: numeric columns in time order, in runs of rows (`ColumnBatch`es, e.g.
 * one per Parquet row group). Every `open()` restarts, so a dataset built on it can be iterated for many
 * epochs. `storeWindowSource` (a store through the batch reader) and `columnsSource` (arrays) implement it.
 *
 * @example
 * const source: WindowSource = columnsSource({ close: new Float64Array([1, 2, 3]) });
 * for await (const batch of source.open(['close'])) console.log(batch.numRows);
 */
export interface WindowSource {
  /** Column names the source can deliver. */
  readonly columns: readonly string[];
  /** Total rows when known without reading (e.g. from Parquet footers); saves a counting pass. */
  readonly numRows?: number;
  /**
   * Rows in time order, from row 0 or, when the source can skip ahead cheaply, from at most `fromRow` (the
   * first batch then carries its `startRow`; a source that cannot skip ignores `fromRow`). `columns` names the
   * columns the caller needs; a source may deliver more. Breaking out of the loop must release resources.
   */
  open(columns: readonly string[], fromRow?: number): AsyncIterable<SourceBatch>;
}

/** Whether `x` has the shape of a `WindowSource` (a store location has `list()` instead of `columns`). */
export function isWindowSource(x: unknown): x is WindowSource {
  return typeof x === 'object' && x !== null && typeof (x as WindowSource).open === 'function' && Array.isArray((x as WindowSource).columns);
}

/** Options of `columnsSource`. */
export interface ColumnsSourceOptions {
  /**
   * Rows per yielded `ColumnBatch` (subarray views, no copy). Default: all rows in one batch. Small values
   * mimic many row groups, so windows cross batch boundaries.
   */
  chunkRows?: number;
}

/**
 * An in-memory `WindowSource` over equal-length typed arrays (or number arrays), optionally cut into
 * chunks of `chunkRows` rows.
 *
 * @example
 * const src = columnsSource({ t: Float64Array.from([0, 1, 2]), x: new Float32Array([1, 2, 3]) }, { chunkRows: 2 });
 */
export function columnsSource(columns: Record<string, NumericColumn | readonly number[]>, options: ColumnsSourceOptions = {}): WindowSource {
  const names = Object.keys(columns);
  const typed: Record<string, NumericColumn> = {};
  let numRows = -1;
  for (const name of names) {
    const values = columns[name];
    const col: NumericColumn = ArrayBuffer.isView(values) ? (values as NumericColumn) : Float64Array.from(values as readonly number[]);
    if (numRows >= 0 && col.length !== numRows) {
      throw new ConfigError(`columnsSource: column "${name}" has ${col.length} rows but "${names[0]}" has ${numRows}; all columns must have the same length`);
    }
    numRows = col.length;
    typed[name] = col;
  }
  if (numRows < 0) numRows = 0;
  const chunk = options.chunkRows ?? Math.max(numRows, 1);
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new ConfigError(`columnsSource: chunkRows must be an integer >= 1; received ${describeValue(options.chunkRows)}`);
  }
  return {
    columns: names,
    numRows,
    async *open(wanted: readonly string[], fromRow = 0) {
      // Chunks before the one holding fromRow are skipped, as a store skips row groups.
      const first = Math.min(Math.floor(Math.max(0, fromRow) / chunk) * chunk, numRows);
      for (let start = first; start < numRows; start += chunk) {
        const end = Math.min(numRows, start + chunk);
        const batch: { numRows: number; columns: ColumnBatch['columns']; startRow?: number } = { numRows: end - start, columns: {} };
        if (start === first && first > 0) batch.startRow = start;
        for (const name of wanted) if (typed[name]) batch.columns[name] = typed[name].subarray(start, end);
        yield batch;
      }
    },
  };
}
