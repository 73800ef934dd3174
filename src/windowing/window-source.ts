import type { ColumnBatch, NumericColumn } from '../loader/column-batch.js';
import { ConfigError, describeValue } from '../errors.js';
import { storeWindowSource } from '../loader/index.js';

/**
 * What the windowing stage reads: numeric columns in time order, in runs of rows (`ColumnBatch`es, e.g.
 * one per Parquet row group). Every `open()` restarts from the first row, so a dataset built on it can
 * be iterated for many epochs. The loader's `storeWindowSource` and `columnsSource` both implement it.
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
   * Rows from the first one, in time order. `columns` names the columns the caller needs; a source may
   * deliver more. Breaking out of the loop must release the underlying resources.
   */
  open(columns: readonly string[]): AsyncIterable<ColumnBatch>;
}

/** A source object as is; a store path or URL through the loader's `storeWindowSource`. */
export async function resolveWindowSource(fn: string, source: WindowSource | string): Promise<WindowSource> {
  if (typeof source === 'string') return storeWindowSource(source);
  if (source === null || typeof source !== 'object' || typeof source.open !== 'function' || !Array.isArray(source.columns)) {
    throw new ConfigError(`${fn}: source must be a store path/URL or a WindowSource { columns, open() }; received ${describeValue(source)}`);
  }
  return source;
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
export function columnsSource(
  columns: Record<string, NumericColumn | readonly number[]>,
  options: ColumnsSourceOptions = {},
): WindowSource {
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
    async *open(wanted: readonly string[]) {
      for (let start = 0; start < numRows; start += chunk) {
        const end = Math.min(numRows, start + chunk);
        const batch: ColumnBatch = { numRows: end - start, columns: {} };
        for (const name of wanted) if (typed[name]) batch.columns[name] = typed[name].subarray(start, end);
        yield batch;
      }
    },
  };
}
