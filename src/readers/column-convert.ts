import type { Column } from '../schema/columns.js';
import type { ColumnSpec } from './column-spec.js';

/** Parsers hyparquet decodes with: timestamps and dates as epoch ms. */
export const DECODE_PARSERS = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1000,
  timestampFromNanoseconds: (v: bigint) => Number(v / 1000n) / 1000,
  dateFromDays: (v: number) => v * 86_400_000,
};

const utf8 = new TextDecoder();

function toFloat(data: ArrayLike<unknown>, kind: 'f32' | 'f64'): Float32Array | Float64Array {
  if (kind === 'f32' && data instanceof Float32Array) return data;
  if (kind === 'f64' && data instanceof Float64Array) return data;
  const out = kind === 'f32' ? new Float32Array(data.length) : new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = v === null || v === undefined ? NaN : Number(v);
  }
  return out;
}

function toEpochMs(data: ArrayLike<unknown>, unit: ColumnSpec['timeUnit']): Float64Array {
  const out = new Float64Array(data.length);
  if (data instanceof BigInt64Array) {
    if (unit === 'MILLIS') for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
    else if (unit === 'MICROS') for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!) / 1000;
    else for (let i = 0; i < data.length; i++) out[i] = Number(data[i]! / 1000n) / 1000;
    return out;
  }
  const div = unit === 'MICROS' ? 1000n : unit === 'NANOS' ? 1_000_000n : 1n;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = v === null || v === undefined ? NaN : typeof v === 'bigint' ? Number(v / div) + Number(v % div) / Number(div) : Number(v);
  }
  return out;
}

function decimalValue(v: unknown, div: number): number {
  if (v === null || v === undefined) return NaN;
  if (v instanceof Uint8Array) {
    let x = 0n;
    for (const b of v) x = (x << 8n) | BigInt(b);
    if (v.length && v[0]! & 0x80) x -= 1n << BigInt(8 * v.length);
    return Number(x) / div;
  }
  return Number(v) / div;
}

export function convertColumn(data: ArrayLike<unknown>, spec: ColumnSpec, where: string, tensors: typeof import('./tensor-codecs.js') | null): Column {
  if (spec.timeUnit) return toEpochMs(data, spec.timeUnit);
  if (spec.decimalScale !== undefined) {
    const out = new Float64Array(data.length);
    const div = 10 ** spec.decimalScale;
    for (let i = 0; i < data.length; i++) out[i] = decimalValue(data[i], div);
    return out;
  }
  if (spec.int === 'i32' && !(data instanceof Int32Array)) return Int32Array.from(data as ArrayLike<number>);
  if (spec.int === 'i64' && !(data instanceof BigInt64Array)) return BigInt64Array.from(data as ArrayLike<bigint>);
  if (spec.epochMs) return toFloat(data, 'f64');
  if (spec.int96) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!(v instanceof Uint8Array) || v.length !== 12) {
        out[i] = NaN;
        continue;
      }
      const dv = new DataView(v.buffer, v.byteOffset, 12);
      // Arrow's reading (parquet-testing int96_from_spark.md): signed nanos and day, microseconds in
      // wrapping int64 arithmetic.
      const nanos = dv.getBigInt64(0, true);
      const julianDay = BigInt(dv.getInt32(8, true));
      const micros = BigInt.asIntN(64, (julianDay - 2440588n) * 86_400_000_000n + nanos / 1000n);
      out[i] = Number(micros) / 1000;
    }
    return out;
  }
  if (spec.float) return toFloat(data, spec.float);
  if (spec.codec === 'ndarray' || spec.codec === 'image') {
    const out = new Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v === null || v === undefined) out[i] = null;
      else if (!(v instanceof Uint8Array)) throw new Error(`column ${spec.name} (${spec.codec} codec) holds ${typeof v}, expected bytes`);
      else out[i] = spec.codec === 'ndarray' ? tensors!.decodeNpyValue(v, `${where} column ${spec.name} row ${i}`) : tensors!.decodeImage(v, spec.imageFormat ?? 'png', spec.shape, `${where} column ${spec.name} row ${i}`);
    }
    return out as Column;
  }
  if (spec.codec === 'compressed-ndarray') throw new Error(`column ${spec.name}: Petastorm's CompressedNdarrayCodec is not supported`);
  if (spec.text) {
    const out = new Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      out[i] = v instanceof Uint8Array ? utf8.decode(v) : (v ?? null);
    }
    return out;
  }
  if (ArrayBuffer.isView(data)) return data as unknown as Column;
  const out = Array.from(data, (v) => (v === undefined ? null : v));
  return out as Column;
}

export function concat(parts: ArrayLike<unknown>[], total: number): ArrayLike<unknown> {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0];
  if (first && ArrayBuffer.isView(first) && parts.every((p) => p.constructor === first.constructor)) {
    const out = new (first.constructor as new (n: number) => { set(a: ArrayLike<unknown>, o: number): void })(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out as unknown as ArrayLike<unknown>;
  }
  const out = new Array<unknown>(total);
  let o = 0;
  for (const p of parts) for (let i = 0; i < p.length; i++) out[o++] = p[i];
  return out;
}
