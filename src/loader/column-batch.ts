/**
 * The unit the loader hands to the windowing stage: a run of consecutive rows, column by column.
 * Numeric columns are typed arrays (timestamps as `Float64Array` of epoch milliseconds, int64 as
 * `BigInt64Array`), so the hot paths downstream never touch per-row objects.
 */
export type NumericColumn =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array;

/** A decoded tensor value (an ndarray-codec cell): row-major data plus its shape. */
export interface NdArray {
  shape: number[];
  data: NumericColumn;
}

export type Column = NumericColumn | (string | null)[] | (boolean | null)[] | (NdArray | null)[];

export interface ColumnBatch {
  /** Rows in this batch; every column has this length. */
  numRows: number;
  /** Column name → values. A nullable numeric column holds NaN (floats) where the value is null. */
  columns: Record<string, Column>;
}
