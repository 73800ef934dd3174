import type { ColumnMetaData, Compressors, SchemaElement } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { deltaBinaryUnpack } from 'hyparquet/src/delta.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import type { Column } from '../schema/columns.js';
import type { ColumnSpec } from './column-spec.js';
import { spareBuffers } from './spare-buffers.js';

type Values = Float32Array | Float64Array | Int32Array | BigInt64Array;
type Physical = 'FLOAT' | 'DOUBLE' | 'INT32' | 'INT64';
const WIDTH: Record<Physical, number> = { FLOAT: 4, DOUBLE: 8, INT32: 4, INT64: 8 };
const CTOR = { FLOAT: Float32Array, DOUBLE: Float64Array, INT32: Int32Array, INT64: BigInt64Array } as const;

/** Thrown inside the fast path for an input it does not handle; the caller falls back to hyparquet's reader. */
class Unsupported extends Error {}

/** Signed integer annotations whose values hyparquet delivers as they are stored (no conversion). */
const PLAIN_INTEGER = new Set([undefined, 'INT_8', 'INT_16', 'INT_32', 'INT_64']);

/**
 * A nullable signed integer column: delivered as an array of numbers (INT32) or bigints (INT64) with null
 * where a value is missing, as hyparquet delivers it.
 */
function isNullableInteger(element: SchemaElement, spec: ColumnSpec): boolean {
  const logical = element.logical_type;
  return (
    spec.codec === 'scalar' && !spec.int && !spec.float && !spec.timeUnit && !spec.epochMs && spec.decimalScale === undefined &&
    element.repetition_type === 'OPTIONAL' && (element.type === 'INT32' || element.type === 'INT64') &&
    PLAIN_INTEGER.has(element.converted_type) && (logical === undefined || (logical.type === 'INTEGER' && logical.isSigned))
  );
}

/**
 * Whether `decodeFlatColumn` handles this column: a top-level FLOAT/DOUBLE/INT32/INT64 leaf delivered as one
 * typed array (floats and timestamps with NaN for null; required integers), or a nullable signed integer
 * delivered as an array with null.
 */
export function isFlatNumeric(element: SchemaElement, spec: ColumnSpec): boolean {
  const t = element.type;
  if (element.repetition_type === 'REPEATED' || element.num_children) return false;
  if (spec.timeUnit) return t === 'INT64';
  if (spec.float === 'f32') return t === 'FLOAT';
  if (spec.float === 'f64') return t === 'DOUBLE';
  if (spec.int === 'i32') return t === 'INT32' && element.repetition_type === 'REQUIRED' && !element.converted_type?.startsWith('UINT');
  if (spec.int === 'i64') return t === 'INT64' && element.repetition_type === 'REQUIRED' && !element.converted_type?.startsWith('UINT');
  return isNullableInteger(element, spec);
}

function plainValues(bytes: Uint8Array, offset: number, count: number, type: Physical): Values {
  const width = WIDTH[type];
  if (offset + count * width > bytes.length) throw new Error(`PLAIN values need ${count * width} bytes, page holds ${bytes.length - offset}`);
  // Copy: page offsets are rarely aligned for the typed array.
  const copy = bytes.slice(offset, offset + count * width);
  return new CTOR[type](copy.buffer, 0, count);
}

/** BYTE_STREAM_SPLIT with direct byte indexing (hyparquet 1.31 goes through DataView.getUint8 per byte). */
function byteStreamSplit(bytes: Uint8Array, offset: number, count: number, type: Physical): Values {
  const out = new Uint8Array(count * WIDTH[type]);
  byteStreamSplitInto(bytes, offset, count, type, out);
  return new CTOR[type](out.buffer, 0, count);
}

/** Joins the byte streams of `count` BYTE_STREAM_SPLIT values into `out` (count × width bytes). */
function byteStreamSplitInto(bytes: Uint8Array, offset: number, count: number, type: Physical, out: Uint8Array): void {
  const width = WIDTH[type];
  if (offset + count * width > bytes.length) throw new Error(`BYTE_STREAM_SPLIT values need ${count * width} bytes, page holds ${bytes.length - offset}`);
  // One pass writing each value's bytes together: sequential writes, `width` sequential read streams.
  const s0 = offset;
  const s1 = s0 + count;
  const s2 = s1 + count;
  const s3 = s2 + count;
  if (width === 4) {
    for (let i = 0, o = 0; i < count; i++, o += 4) {
      out[o] = bytes[s0 + i]!;
      out[o + 1] = bytes[s1 + i]!;
      out[o + 2] = bytes[s2 + i]!;
      out[o + 3] = bytes[s3 + i]!;
    }
  } else {
    const s4 = s3 + count;
    const s5 = s4 + count;
    const s6 = s5 + count;
    const s7 = s6 + count;
    for (let i = 0, o = 0; i < count; i++, o += 8) {
      out[o] = bytes[s0 + i]!;
      out[o + 1] = bytes[s1 + i]!;
      out[o + 2] = bytes[s2 + i]!;
      out[o + 3] = bytes[s3 + i]!;
      out[o + 4] = bytes[s4 + i]!;
      out[o + 5] = bytes[s5 + i]!;
      out[o + 6] = bytes[s6 + i]!;
      out[o + 7] = bytes[s7 + i]!;
    }
  }
}

/**
 * Writes a page's PLAIN or BYTE_STREAM_SPLIT values straight into the bytes of the output column (no
 * intermediate array per page: less garbage in the decode thread, one copy less). False for other encodings.
 */
function pageValuesInto(page: Uint8Array, offset: number, count: number, encoding: string, type: Physical, dest: Uint8Array): boolean {
  const width = WIDTH[type];
  if (encoding === 'PLAIN') {
    if (offset + count * width > page.length) throw new Error(`PLAIN values need ${count * width} bytes, page holds ${page.length - offset}`);
    dest.set(page.subarray(offset, offset + count * width));
    return true;
  }
  if (encoding === 'BYTE_STREAM_SPLIT') {
    byteStreamSplitInto(page, offset, count, type, dest);
    return true;
  }
  return false;
}

function pageValues(page: Uint8Array, offset: number, count: number, encoding: string, type: Physical, dictionary: Values | null): Values {
  if (encoding === 'PLAIN') return plainValues(page, offset, count, type);
  if (encoding === 'BYTE_STREAM_SPLIT') return byteStreamSplit(page, offset, count, type);
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset };
  if (encoding === 'DELTA_BINARY_PACKED' && (type === 'INT32' || type === 'INT64')) {
    const out = type === 'INT32' ? new Int32Array(count) : new BigInt64Array(count);
    deltaBinaryUnpack(reader, count, out);
    return out;
  }
  if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
    if (!dictionary) throw new Error('dictionary-encoded page without a dictionary page');
    const idx = new Int32Array(count);
    const bitWidth = page[offset]!;
    reader.offset++;
    if (bitWidth) readRleBitPackedHybrid(reader, bitWidth, idx, page.length - reader.offset);
    const out = new (dictionary.constructor as new (n: number) => Values)(count);
    for (let i = 0; i < count; i++) {
      const k = idx[i]!;
      if (k >= dictionary.length) throw new Error(`dictionary index ${k} out of range (${dictionary.length} entries)`);
      (out as unknown as unknown[])[i] = dictionary[k];
    }
    return out;
  }
  throw new Unsupported(encoding);
}

/** `n` values in a spare buffer of exactly that size when this thread has one (see `SpareBuffers`), else zeros. */
function outputOf<T>(Ctor: { new (n: number): T; new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T {
  const spare = spareBuffers.take(n * Ctor.BYTES_PER_ELEMENT);
  return spare ? new Ctor(spare) : new Ctor(n);
}

/** Output array and the function that stores a decoded value in it. */
function makeOutput(spec: ColumnSpec, element: SchemaElement, n: number): { out: Column; put: (i: number, v: number | bigint) => void; putNull: (i: number) => void } {
  if (isNullableInteger(element, spec)) {
    const out = new Array<number | bigint | null>(n);
    return { out: out as Column, put: (i, v) => (out[i] = v), putNull: (i) => (out[i] = null) };
  }
  if (spec.timeUnit) {
    const out = outputOf(Float64Array, n);
    const put =
      spec.timeUnit === 'MILLIS'
        ? (i: number, v: number | bigint) => (out[i] = Number(v))
        : spec.timeUnit === 'MICROS'
          ? (i: number, v: number | bigint) => (out[i] = Number(v) / 1000)
          : (i: number, v: number | bigint) => (out[i] = Number(BigInt(v) / 1000n) / 1000);
    return { out, put, putNull: (i) => (out[i] = NaN) };
  }
  if (spec.int === 'i64') {
    // REQUIRED only (isFlatNumeric): every value is written, so a spare buffer's stale values never show.
    const out = outputOf(BigInt64Array, n);
    return { out, put: (i, v) => (out[i] = BigInt(v)), putNull: () => {} };
  }
  const out = spec.int === 'i32' ? outputOf(Int32Array, n) : spec.float === 'f32' ? outputOf(Float32Array, n) : outputOf(Float64Array, n);
  return { out, put: (i, v) => (out[i] = v as number), putNull: (i) => (out[i] = NaN) };
}

/**
 * Decodes one flat numeric column chunk straight into a preallocated typed array: no per-value JS objects
 * and no nested-list assembly, which is where hyparquet spends most of its time on nullable columns.
 * Returns null for an encoding or page type it does not handle (the caller uses hyparquet's reader);
 * throws on corrupt data.
 */
export function decodeFlatColumn(chunk: Uint8Array, meta: ColumnMetaData, element: SchemaElement, spec: ColumnSpec, numRows: number, compressors: Compressors): Column | null {
  const type = element.type as Physical;
  const optional = element.repetition_type === 'OPTIONAL';
  const { out, put, putNull } = makeOutput(spec, element, numRows);
  const reader = { view: new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset: 0 };
  let dictionary: Values | null = null;
  let row = 0;
  // Fast loops for the common cases: the output and values have the same element type.
  const sameType = ArrayBuffer.isView(out) && !spec.timeUnit && (spec.int !== 'i64' || type === 'INT64');
  const width = WIDTH[type];
  /** A page of `count` values without nulls, written at `row` of the output when its encoding allows. */
  const into = (page: Uint8Array, offset: number, count: number, encoding: string): boolean => {
    if (row + count > numRows) throw new Error(`pages hold more than the row group's ${numRows} rows`);
    const o = out as Values;
    if (!pageValuesInto(page, offset, count, encoding, type, new Uint8Array(o.buffer, o.byteOffset + row * width, count * width))) return false;
    row += count;
    return true;
  };
  try {
    while (row < numRows) {
      if (reader.offset >= chunk.length) throw new Error(`column chunk ended after ${row} of ${numRows} values`);
      const header = parquetHeader(reader);
      const size = header.compressed_page_size;
      if (size < 0 || reader.offset + size > chunk.length) throw new Error(`page of ${size} bytes overruns the column chunk`);
      const raw = chunk.subarray(reader.offset, reader.offset + size);
      reader.offset += size;
      let values: Values;
      let defs: Uint8Array | null = null;
      let count: number;
      if (header.type === 'DICTIONARY_PAGE') {
        const dh = header.dictionary_page_header!;
        const page = decompressPage(raw, header.uncompressed_page_size, meta.codec, compressors);
        dictionary = plainValues(page, 0, dh.num_values, type);
        continue;
      } else if (header.type === 'DATA_PAGE') {
        const dh = header.data_page_header!;
        count = dh.num_values;
        const page = decompressPage(raw, header.uncompressed_page_size, meta.codec, compressors);
        const pr = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
        let present = count;
        if (optional) {
          defs = new Uint8Array(count);
          readRleBitPackedHybrid(pr, 1, defs);
          present = 0;
          for (let i = 0; i < count; i++) present += defs[i]!;
        }
        if (!defs && sameType && into(page, pr.offset, count, dh.encoding)) continue;
        values = pageValues(page, pr.offset, present, dh.encoding, type, dictionary);
      } else if (header.type === 'DATA_PAGE_V2') {
        const dh = header.data_page_header_v2!;
        count = dh.num_values;
        if (dh.repetition_levels_byte_length) throw new Unsupported('repetition levels');
        const levelBytes = dh.definition_levels_byte_length;
        if (optional && levelBytes > 0) {
          defs = new Uint8Array(count);
          readRleBitPackedHybrid({ view: reader.view, offset: raw.byteOffset - chunk.byteOffset }, 1, defs, levelBytes);
        }
        let body = raw.subarray(levelBytes);
        if (dh.is_compressed !== false && body.length > 0) body = decompressPage(body, header.uncompressed_page_size - levelBytes, meta.codec, compressors);
        if (!defs && sameType && dh.num_nulls === 0 && into(body, 0, count, dh.encoding)) continue;
        values = pageValues(body, 0, count - dh.num_nulls, dh.encoding, type, dictionary);
        if (defs) {
          let present = 0;
          for (let i = 0; i < count; i++) present += defs[i]!;
          if (present !== count - dh.num_nulls) throw new Error(`page says ${dh.num_nulls} nulls, levels say ${count - present}`);
        }
      } else {
        throw new Error(`unsupported page type ${header.type}`);
      }
      if (row + count > numRows) throw new Error(`pages hold more than the row group's ${numRows} rows`);
      if (!defs) {
        if (values.length < count) throw new Error(`page holds ${values.length} values, header says ${count}`);
        if (sameType) (out as Values).set(values.subarray(0, count) as never, row);
        else for (let i = 0; i < count; i++) put(row + i, values[i]!);
      } else {
        let v = 0;
        for (let i = 0; i < count; i++) {
          if (defs[i]) put(row + i, values[v++]!);
          else putNull(row + i);
        }
      }
      row += count;
    }
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
  return out;
}
