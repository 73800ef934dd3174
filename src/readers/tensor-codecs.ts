import jpeg from 'jpeg-js';
import { SchemaError } from '../errors.js';
import { decodeNpy, type NdArray } from '../schema/npy.js';
import { decodePngRgba } from './png-rgba.js';

/** A tensor of strings (numpy `S`/`U` dtypes, which Petastorm stores for string arrays). */
export interface StringNdArray {
  shape: number[];
  data: string[];
}

/**
 * Decodes `.npy` bytes: numeric dtypes through the schema stage's `decodeNpy`, plus numpy's fixed-width
 * byte strings (`|S<n>`) and unicode strings (`<U<n>`, UTF-32) that Petastorm writes for string arrays.
 */
export function decodeNpyValue(bytes: Uint8Array, where: string): NdArray | StringNdArray {
  const headerStart = bytes[6] === 1 ? 10 : 12;
  const headerLen = bytes[6] === 1 ? bytes[8]! | (bytes[9]! << 8) : new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const m = /'descr':\s*'([<>|=]?)([SU])(\d+)'/.exec(header);
  if (!m) return decodeNpy(bytes, where).value;
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const width = Number(m[3]);
  const unit = m[2] === 'U' ? 4 : 1;
  const start = headerStart + headerLen;
  if (start + count * width * unit > bytes.length) throw new SchemaError(`${where}: .npy string array shorter than its shape (${shape.join(', ')})`);
  const data: string[] = new Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    let s = '';
    const off = start + i * width * unit;
    for (let j = 0; j < width; j++) {
      const c = unit === 4 ? dv.getUint32(off + j * 4, m[1] !== '>') : bytes[off + j]!;
      if (c === 0) break;
      s += String.fromCodePoint(c);
    }
    data[i] = s;
  }
  return { shape, data };
}

/**
 * Decodes a PNG or JPEG image as Petastorm's `CompressedImageCodec` returns it: row-major [height, width,
 * channels] uint8 (RGB order), or [height, width] for a single channel. `shape` is the field's declared shape.
 * Pure JS on the Uint8Array (fast-png, jpeg-js), no Node built-ins: it runs in a browser build too.
 */
export function decodeImage(bytes: Uint8Array, format: string, shape: readonly (number | null)[], where: string): NdArray {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50;
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  let srcChannels: number;
  try {
    if (isPng || format === 'png') {
      ({ width, height, rgba, channels: srcChannels } = decodePngRgba(bytes));
    } else {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
      width = img.width;
      height = img.height;
      rgba = img.data;
      srcChannels = 3;
    }
  } catch (err) {
    throw new SchemaError(`${where}: cannot decode ${format} image (${(err as Error).message})`, {}, { cause: err });
  }
  const channels = shape.length === 3 && typeof shape[2] === 'number' ? shape[2] : shape.length === 2 ? 1 : srcChannels;
  const out = new Uint8Array(width * height * channels);
  for (let p = 0, o = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) out[o++] = rgba[p * 4 + c]!;
  }
  return { shape: channels === 1 && shape.length === 2 ? [height, width] : [height, width, channels], data: out };
}
