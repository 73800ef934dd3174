import * as arrow from 'apache-arrow';
import type { ColumnBatch, Column } from '../schema/columns.js';
import type { RowOrigin } from '../schema/validate.js';

/** One row as an object: field name → value (`Date` or epoch ms for timestamps, `NdArray` for tensors). */
export type Row = Record<string, unknown>;

/** A columnar chunk of input plus where it came from (for error messages). */
export interface ColumnChunk {
  batch: ColumnBatch;
  origin?: RowOrigin;
}

/** Everything `materializeDataset` accepts as rows. */
export type RowsInput = Iterable<Row> | AsyncIterable<Row> | arrow.Table | ColumnBatch;

export function isColumnBatch(x: unknown): x is ColumnBatch {
  return typeof x === 'object' && x !== null && typeof (x as ColumnBatch).numRows === 'number' && typeof (x as ColumnBatch).columns === 'object' && !(x instanceof arrow.Table);
}

/**
 * An Arrow record batch as columns in the SDK's conventions: typed arrays for numbers, epoch ms for
 * timestamps of any unit, NaN for null floats, JS arrays (with null) otherwise. Every column is passed
 * through, so validation can name one the schema does not have.
 */
export function arrowBatchToColumns(batch: arrow.RecordBatch): ColumnBatch {
  const columns: Record<string, Column> = {};
  for (const field of batch.schema.fields) columns[field.name] = arrowVectorToColumn(batch.getChild(field.name)!);
  return { numRows: batch.numRows, columns };
}

function arrowVectorToColumn(vector: arrow.Vector): Column {
  const type = vector.type;
  const n = vector.length;
  if (arrow.DataType.isTimestamp(type) || arrow.DataType.isDate(type)) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = vector.get(i) as number | Date | bigint | null;
      out[i] = v === null ? NaN : v instanceof Date ? v.getTime() : Number(v);
    }
    return out;
  }
  if (arrow.DataType.isFloat(type) || arrow.DataType.isInt(type)) {
    const values = vector.toArray() as Float32Array;
    if (vector.nullCount === 0) return values;
    if (arrow.DataType.isFloat(type)) {
      const copy = values.slice();
      for (let i = 0; i < n; i++) if (!vector.isValid(i)) copy[i] = NaN;
      return copy;
    }
    // Integers cannot hold NaN: keep nulls explicit in a JS array (validation rejects them unless nullable).
    return Array.from({ length: n }, (_, i) => (vector.isValid(i) ? (values as unknown as ArrayLike<number>)[i]! : null)) as (number | null)[];
  }
  return Array.from({ length: n }, (_, i) => vector.get(i) ?? null) as Column;
}
