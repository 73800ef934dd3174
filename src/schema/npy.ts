import { SchemaError } from '../errors.js';
import type { TensorDType } from './dtype.js';

/**
 * Typed arrays that can back a tensor value. `bool` tensors use Uint8Array (0/1), as numpy stores them.
 * Schema fields use the first five; the others appear when decoding foreign (Petastorm) `.npy` values.
 */
export type TensorData = Int32Array | BigInt64Array | Uint8Array | Float32Array | Float64Array | Int8Array | Int16Array | Uint16Array | Uint32Array | BigUint64Array;

/** A tensor value: row-major `data` with `shape`. The value of an ndarray-codec field. */
export interface NdArray {
  shape: number[];
  data: TensorData;
}

/** `.npy` descr (little-endian) for each tensor dtype, as numpy writes it. */
const DESCR_OF: Record<TensorDType, string> = {
  int32: '<i4',
  int64: '<i8',
  uint8: '|u1',
  float32: '<f4',
  float64: '<f8',
  bool: '|b1',
};

/** Every numeric `.npy` descr this decoder reads, with numpy's dtype name and the typed array holding it. */
const NPY_TYPES: Record<string, { name: string; Ctor: { new (b: ArrayBuffer, o: number, n: number): TensorData; BYTES_PER_ELEMENT: number } }> = {
  '|b1': { name: 'bool', Ctor: Uint8Array },
  '|i1': { name: 'int8', Ctor: Int8Array },
  '|u1': { name: 'uint8', Ctor: Uint8Array },
  '<i2': { name: 'int16', Ctor: Int16Array },
  '<u2': { name: 'uint16', Ctor: Uint16Array },
  '<i4': { name: 'int32', Ctor: Int32Array },
  '<u4': { name: 'uint32', Ctor: Uint32Array },
  '<i8': { name: 'int64', Ctor: BigInt64Array },
  '<u8': { name: 'uint64', Ctor: BigUint64Array },
  '<f4': { name: 'float32', Ctor: Float32Array },
  '<f8': { name: 'float64', Ctor: Float64Array },
};

const CTOR_OF = { int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, float32: Float32Array, float64: Float64Array, bool: Uint8Array } as const;

/** The typed array class holding a tensor dtype. */
export function tensorArrayType(dtype: TensorDType) {
  return CTOR_OF[dtype];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** numpy's `GROWTH_AXIS_MAX_DIGITS`: spare room for the first axis to grow to 21 digits in place. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy's `ARRAY_ALIGN`: the data starts on a multiple of 64 bytes. */
const ARRAY_ALIGN = 64;

/**
 * The `.npy` header (magic, version, length, dict, padding) numpy ≥ 1.23 writes for a C-order array of this
 * shape and `.npy` descr: `numpy/lib/format.py` `_write_array_header` with `_wrap_header_guess_version`.
 * The dict is followed by 21 − (digits of the first axis) spaces of growth room, then by spaces and a newline
 * up to the next multiple of 64 bytes, a whole 64 more when it is already aligned (numpy's `padlen`); a
 * header too long for version 1.0's 2-byte length is written as version 2.0.
 *
 * @example
 * npyHeader([2, 3], '<f4').length; // 128
 */
export function npyHeader(shape: readonly number[], descr: string): Uint8Array {
  const repr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${repr}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const hlen = dict.length + 1; // with the final newline
  let lengthBytes = 2;
  let padlen = ARRAY_ALIGN - ((MAGIC.length + 2 + lengthBytes + hlen) % ARRAY_ALIGN);
  if (hlen + padlen > 0xffff) {
    lengthBytes = 4;
    padlen = ARRAY_ALIGN - ((MAGIC.length + 2 + lengthBytes + hlen) % ARRAY_ALIGN);
  }
  const out = new Uint8Array(MAGIC.length + 2 + lengthBytes + hlen + padlen);
  out.set(MAGIC, 0);
  out[6] = lengthBytes === 2 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (lengthBytes === 2) view.setUint16(8, hlen + padlen, true);
  else view.setUint32(8, hlen + padlen, true);
  const at = MAGIC.length + 2 + lengthBytes;
  for (let i = 0; i < dict.length; i++) out[at + i] = dict.charCodeAt(i);
  out.fill(0x20, at + dict.length, out.length - 1);
  out[out.length - 1] = 0x0a;
  return out;
}

/**
 * Encodes a tensor in the `.npy` format, byte for byte as `numpy.save` writes it (numpy ≥ 1.23, growth
 * padding included: `npyHeader`), which is what Petastorm's `NdarrayCodec` stores: so each side reads the
 * other's tensor fields.
 *
 * @example
 * const bytes = encodeNpy({ shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) }, 'float32'); // numpy.load reads it
 */
export function encodeNpy(value: NdArray, dtype: TensorDType): Uint8Array {
  const header = npyHeader(value.shape, DESCR_OF[dtype]);
  const data = new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength);
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

/**
 * Decodes `.npy` bytes (versions 1–3, little- or big-endian, C or Fortran order) into an `NdArray` and numpy's
 * name of its dtype (`'float32'`, `'uint16'`, ...). The data is copied into a fresh, aligned typed array.
 *
 * @example
 * const { value, dtype } = decodeNpy(readFileSync('weights.npy')); // value.shape, value.data
 */
export function decodeNpy(bytes: Uint8Array, where = 'ndarray value'): { value: NdArray; dtype: string } {
  const fail = (why: string) => new SchemaError(`${where}: not a readable .npy array: ${why}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('missing \\x93NUMPY magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail('truncated header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw fail(`unsupported format version ${major}`);
  if (start + headerLen > bytes.length) throw fail(`header length ${headerLen} exceeds ${bytes.length} bytes`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw fail(`unparsable header ${JSON.stringify(header.trim())}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw fail(`bad shape (${shapeText})`);
  const bigEndian = descr.startsWith('>');
  const npyType = NPY_TYPES[descr.replace(/^[<>=|]/, descr.endsWith('1') ? '|' : '<')];
  if (!npyType) throw fail(`unsupported dtype ${descr}; supported: ${Object.keys(NPY_TYPES).join(', ')}`);
  const { Ctor, name: dtype } = npyType;
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const byteLength = count * Ctor.BYTES_PER_ELEMENT;
  if (dataStart + byteLength > bytes.length) throw fail(`data holds ${bytes.length - dataStart} bytes, shape (${shape.join(', ')}) needs ${byteLength}`);
  // Copy: the source offset is rarely aligned for the typed array, and callers keep values past the page buffer.
  // Uint8Array's slice, not Buffer's: Buffer#slice returns a view into a shared pool.
  const raw = Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + byteLength);
  if (bigEndian && Ctor.BYTES_PER_ELEMENT > 1) swapBytes(raw, Ctor.BYTES_PER_ELEMENT);
  let data: TensorData = new Ctor(raw.buffer as ArrayBuffer, 0, count);
  if (fortran === 'True' && shape.length > 1) data = fortranToC(data, shape);
  return { value: { shape, data }, dtype };
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/** Reorders column-major (Fortran) data into row-major order. */
function fortranToC(data: TensorData, shape: number[]): TensorData {
  const out = new (data.constructor as new (n: number) => TensorData)(data.length);
  const n = shape.length;
  const idx = new Array<number>(n).fill(0);
  for (let c = 0; c < data.length; c++) {
    // c walks row-major order; compute the column-major offset of the same index.
    let f = 0;
    let stride = 1;
    for (let d = 0; d < n; d++) {
      f += idx[d]! * stride;
      stride *= shape[d]!;
    }
    (out as unknown as number[])[c] = (data as unknown as number[])[f]!;
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}
