import * as arrow from 'apache-arrow';
import type { ColumnBatch } from '../schema/columns.js';
import { encodeNpy, type NdArray } from '../schema/npy.js';
import type { Unischema, UnischemaField } from '../schema/unischema.js';
import { arrowSchemaOf, arrowTypeOf } from './arrow-types.js';

type NumericBuffer = Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;

/** One field's values for the row group being built: a preallocated typed array, or a JS array for the rest. */
interface ColumnBuffer {
  field: UnischemaField;
  /** Typed storage for numeric fields (timestamps as float64 epoch ms); null for strings, bools, tensors. */
  values: NumericBuffer | null;
  /** Per-row presence (1 = value) for nullable fields whose typed storage cannot hold NaN as null. */
  present: Uint8Array | null;
  objects: unknown[] | null;
}

const TYPED = { float32: Float32Array, float64: Float64Array, timestamp: Float64Array, int32: Int32Array, uint8: Uint8Array, int64: BigInt64Array } as const;

/** Whether null is stored as NaN in the typed buffer (floats and timestamps), so no presence array is needed. */
function nanMeansNull(f: UnischemaField): boolean {
  return f.dtype === 'float32' || f.dtype === 'float64' || f.dtype === 'timestamp';
}

/**
 * Accumulates up to `capacity` validated rows column by column, then turns them into one Arrow record batch
 * (one Parquet row group). Buffers are reused between row groups, so memory is bounded by `capacity`.
 */
export class RowGroupBuilder {
  readonly capacity: number;
  numRows = 0;
  readonly #columns: ColumnBuffer[];
  readonly #schema: arrow.Schema;

  constructor(schema: Unischema, capacity: number) {
    this.capacity = capacity;
    this.#schema = arrowSchemaOf(schema.fields);
    this.#columns = schema.fields.map((field) => {
      const scalarNumeric = field.codec === 'scalar' && field.dtype in TYPED;
      const Ctor = TYPED[field.dtype as keyof typeof TYPED];
      return {
        field,
        values: scalarNumeric ? new Ctor(capacity) : null,
        present: scalarNumeric && field.nullable && !nanMeansNull(field) ? new Uint8Array(capacity) : null,
        objects: scalarNumeric ? null : new Array(capacity),
      };
    });
  }

  get full(): boolean {
    return this.numRows >= this.capacity;
  }

  /** Appends one row that has already passed `compileRowValidator`. */
  appendRow(row: Record<string, unknown>): void {
    const r = this.numRows++;
    for (const c of this.#columns) {
      const v = row[c.field.name];
      if (c.values === null) {
        c.objects![r] = v ?? null;
      } else if (v === null || v === undefined) {
        if (c.present) c.present[r] = 0;
        else (c.values as Float64Array)[r] = NaN;
      } else {
        if (c.present) c.present[r] = 1;
        if (c.values instanceof BigInt64Array) c.values[r] = BigInt(v as number | bigint);
        else (c.values as Float64Array)[r] = v instanceof Date ? v.getTime() : (v as number);
      }
    }
  }

  /** Copies rows `[start, start + count)` of an already validated column batch. */
  appendColumns(batch: ColumnBatch, start: number, count: number): void {
    const r = this.numRows;
    for (const c of this.#columns) {
      const src = batch.columns[c.field.name]!;
      if (c.values !== null && ArrayBuffer.isView(src)) {
        if (src.constructor === c.values.constructor) (c.values as Float64Array).set((src as Float64Array).subarray(start, start + count), r);
        else for (let i = 0; i < count; i++) (c.values as Float64Array)[r + i] = (src as Float64Array)[start + i]!;
        if (c.present) c.present.fill(1, r, r + count);
      } else if (c.values !== null) {
        // A JS array for a numeric field (e.g. nullable int64 with nulls).
        const arr = src as unknown[];
        for (let i = 0; i < count; i++) {
          const v = arr[start + i];
          if (c.present) c.present[r + i] = v === null || v === undefined ? 0 : 1;
          if (v !== null && v !== undefined) (c.values as unknown as unknown[])[r + i] = c.values instanceof BigInt64Array ? BigInt(v as number) : v;
        }
      } else {
        const arr = src as unknown[];
        for (let i = 0; i < count; i++) c.objects![r + i] = arr[start + i] ?? null;
      }
    }
    this.numRows += count;
  }

  /** The buffered rows as one Arrow record batch; the builder is empty afterwards. */
  flush(): arrow.RecordBatch {
    const n = this.numRows;
    const children = this.#columns.map((c) => columnData(c, n));
    const struct = arrow.makeData({ type: new arrow.Struct(this.#schema.fields), length: n, nullCount: 0, children });
    this.numRows = 0;
    for (const c of this.#columns) if (c.objects) c.objects.fill(undefined, 0, n);
    return new arrow.RecordBatch(this.#schema, struct);
  }

  get arrowSchema(): arrow.Schema {
    return this.#schema;
  }
}

/** Packs a validity bitmap (LSB first, 1 = valid) from a per-row test; null when every row is valid. */
function validityBitmap(n: number, isNull: (i: number) => boolean): { bitmap: Uint8Array | undefined; nullCount: number } {
  let bitmap: Uint8Array | undefined;
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    if (isNull(i)) {
      if (!bitmap) {
        bitmap = new Uint8Array((n + 7) >> 3).fill(0xff);
      }
      bitmap[i >> 3]! &= ~(1 << (i & 7));
      nullCount++;
    }
  }
  return { bitmap, nullCount };
}

function columnData(c: ColumnBuffer, n: number): arrow.Data {
  const f = c.field;
  const type = arrowTypeOf(f);
  if (c.values === null) {
    const values = c.objects!.slice(0, n);
    if (f.codec === 'ndarray') {
      const dtype = f.dtype as Parameters<typeof encodeNpy>[1];
      // `.npy` bytes already encoded (a compaction copying a part's rows) pass through as they are.
      return arrow.vectorFromArray(values.map((v) => (v === null ? null : v instanceof Uint8Array ? v : encodeNpy(v as NdArray, dtype))), new arrow.Binary()).data[0]!;
    }
    return arrow.vectorFromArray(values as never[], type as arrow.Utf8).data[0]!;
  }
  const values = c.values.subarray(0, n);
  const { bitmap, nullCount } = !f.nullable
    ? { bitmap: undefined, nullCount: 0 }
    : c.present
      ? validityBitmap(n, (i) => c.present![i] === 0)
      : validityBitmap(n, (i) => Number.isNaN((values as Float64Array)[i]));
  if (f.dtype === 'timestamp') {
    return arrow.makeData({ type: type as arrow.TimestampMillisecond, length: n, nullCount, nullBitmap: bitmap, data: msToInt64(values as Float64Array) as never });
  }
  // makeData keeps a reference to `values`; the builder overwrites its buffers on the next row group, so copy.
  return arrow.makeData({ type: type as arrow.Float32, length: n, nullCount, nullBitmap: bitmap, data: values.slice() as never });
}

/** Float64 epoch milliseconds → int64 words without a BigInt per value (NaN, i.e. null slots, become 0). */
function msToInt64(ms: Float64Array): BigInt64Array {
  const out = new BigInt64Array(ms.length);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < ms.length; i++) {
    const v = ms[i]!;
    if (v !== v) continue;
    const hi = Math.floor(v / 4294967296);
    words[2 * i] = (v - hi * 4294967296) | 0;
    words[2 * i + 1] = hi;
  }
  return out;
}
