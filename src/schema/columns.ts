import type { NdArray } from './npy.js';

/**
 * Rows held column by column: the shape data has from the CSV parser through the loader to the windowing
 * stage. Numeric columns are typed arrays (timestamps: `Float64Array` of epoch milliseconds; int64:
 * `BigInt64Array`) so hot paths never build per-row objects.
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

/** One column. In a nullable float or timestamp column NaN stands for null; other columns use `null`. */
export type Column = NumericColumn | (string | null)[] | (boolean | null)[] | (NdArray | null)[] | (number | null)[] | (bigint | null)[];

export interface ColumnBatch {
  /** Rows in this batch; every column has this length. */
  numRows: number;
  /** Column name → values. */
  columns: Record<string, Column>;
}
