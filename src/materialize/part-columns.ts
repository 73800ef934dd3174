import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import type { Column, ColumnBatch } from '../schema/columns.js';
import { arrowBatchToColumns } from './row-input.js';

/** parquet-wasm's default of 1,024 rows per batch is slow; a part is read whole anyway. */
const READ_BATCH_ROWS = 1 << 20;

/**
 * Every row of one Parquet part, read whole with parquet-wasm, as columns in the SDK's conventions (typed
 * arrays, timestamps in epoch ms, NaN for null floats, JS arrays otherwise; tensors stay `.npy` bytes): what
 * a `RowGroupBuilder` writes back unchanged. For small parts: the whole file and its rows are in memory.
 *
 * @example
 * const rows = partColumns(await readFile('store/part-00003-….parquet'));
 */
export function partColumns(bytes: Uint8Array): ColumnBatch {
  const table = arrow.tableFromIPC(pw.readParquet(bytes, { batchSize: READ_BATCH_ROWS }).intoIPCStream());
  return concatColumns(table.batches.map(arrowBatchToColumns), table.schema.fields.map((f) => f.name));
}

/** Batches of the same columns, one after the other, as one batch. */
export function concatColumns(batches: readonly ColumnBatch[], names: readonly string[]): ColumnBatch {
  if (batches.length === 1) return batches[0]!;
  const numRows = batches.reduce((s, b) => s + b.numRows, 0);
  const columns: Record<string, Column> = {};
  for (const name of names) {
    const parts = batches.map((b) => b.columns[name]!);
    const first = parts[0];
    const Ctor = first && ArrayBuffer.isView(first) ? (first.constructor as new (n: number) => Float64Array) : null;
    if (Ctor && parts.every((p) => p.constructor === Ctor)) {
      const out = new Ctor(numRows);
      let at = 0;
      for (const p of parts) {
        out.set(p as Float64Array, at);
        at += (p as Float64Array).length;
      }
      columns[name] = out;
    } else {
      // Mixed forms (an integer column with nulls in one batch only): plain values.
      columns[name] = parts.flatMap((p) => Array.from(p as ArrayLike<unknown>)) as Column;
    }
  }
  return { numRows, columns };
}

type Key = number | bigint | string | boolean | null;

function keyColumn(column: Column): (i: number) => Key {
  if (column instanceof Float32Array || column instanceof Float64Array) return (i) => (Number.isNaN(column[i]) ? null : column[i]!);
  const values = column as ArrayLike<unknown>;
  return (i) => (values[i] ?? null) as Key;
}

/**
 * The row order that sorts `batch` by `keys` (the first key first), stable, nulls last: the order
 * `materializeDataset`'s `sortBy` gives a call's rows.
 *
 * @example
 * sortPermutation({ numRows: 3, columns: { t: new Float64Array([3, 1, 2]) } }, ['t']); // Int32Array [1, 2, 0]
 */
export function sortPermutation(batch: ColumnBatch, keys: readonly string[]): Int32Array {
  const get = keys.map((k) => keyColumn(batch.columns[k]!));
  const order = Array.from({ length: batch.numRows }, (_, i) => i);
  order.sort((a, b) => {
    for (const key of get) {
      const x = key(a);
      const y = key(b);
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return a - b;
  });
  return Int32Array.from(order);
}

/** The rows of `batch` in the order `rows` gives (indexes into it). */
export function takeRows(batch: ColumnBatch, rows: Int32Array): ColumnBatch {
  const columns: Record<string, Column> = {};
  for (const [name, column] of Object.entries(batch.columns)) {
    if (ArrayBuffer.isView(column)) {
      const src = column as unknown as Float64Array;
      const out = new (src.constructor as new (n: number) => Float64Array)(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]!]!;
      columns[name] = out as unknown as Column;
    } else {
      const src = column as ArrayLike<unknown>;
      columns[name] = Array.from(rows, (r) => src[r]) as Column;
    }
  }
  return { numRows: rows.length, columns };
}
