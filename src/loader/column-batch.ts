// The loader yields the same column-batch shape the schema stage validates, so nothing is converted in between.
export type { Column, ColumnBatch, NumericColumn } from '../schema/columns.js';
export type { NdArray } from '../schema/npy.js';
