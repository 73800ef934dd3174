import { decode as decodeFastPng } from 'fast-png';
import { unzlibSync } from 'fflate';
import { crc32 } from '../store/store-platform.js';

/** A PNG's samples as stored (before any expansion), with what the mapping to RGBA needs. */
interface PngSamples {
  width: number;
  height: number;
  depth: number;
  /** IHDR colour type: 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  colorType: number;
  /** Row-major, `SAMPLES_PER_PIXEL[colorType]` samples a pixel, each its raw value (0 .. 2^depth - 1; a palette index for type 3). */
  samples: Uint8Array | Uint16Array;
  /** PLTE entries as [r, g, b], or [r, g, b, a] with a tRNS chunk (alpha 255 past its end). */
  palette: number[][] | undefined;
  /** The tRNS chunk's transparent gray (type 0) or [r, g, b] (type 2), in raw sample values. */
  transparentColor: Uint16Array | undefined;
  /** Whether the image has an alpha channel or a tRNS chunk: then 4 channels unless the shape says otherwise. */
  alpha: boolean;
}

const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Adam7's passes as [x0, y0, dx, dy]. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Sample `i` of a row packed at `depth` < 8 bits (most significant bits first). */
function packedSample(row: Uint8Array, i: number, depth: number): number {
  const bit = i * depth;
  return (row[bit >> 3]! >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

/**
 * Reads a PNG's header and samples. fast-png decodes all but two kinds of valid PNG, which `readPngDirect`
 * reads instead: Adam7-interlaced images of bit depth 1, 2 or 4, whose passes fast-png 8 unfilters as if a
 * pixel took a byte (an "Unsupported filter" error or wrong pixels), and RGB images of fewer than 3 pixels,
 * whose tRNS colour (3 values) fast-png rejects as "more alpha values than there are pixels".
 */
function readPng(bytes: Uint8Array): PngSamples {
  if (!PNG_SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error('invalid PNG signature');
  if (bytes.length < 33 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new Error('no IHDR chunk at the start');
  const depth = bytes[24]!;
  const colorType = bytes[25]!;
  const spp = SAMPLES_PER_PIXEL[colorType];
  if (spp === undefined) throw new Error(`unknown color type ${colorType}`);
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixels = header.getUint32(16) * header.getUint32(20);
  if ((bytes[28] === 1 && depth < 8) || (colorType === 2 && pixels < 3)) return readPngDirect(bytes, depth, colorType, spp);
  const png = decodeFastPng(bytes, { checkCrc: true });
  const { width, height } = png;
  let samples: Uint8Array | Uint16Array;
  if (depth < 8) {
    // fast-png leaves samples below 8 bits packed, each row starting on a byte.
    const rowBytes = Math.ceil((width * spp * depth) / 8);
    if (png.data.length !== rowBytes * height) throw new Error(`decoded ${png.data.length} bytes of samples, expected ${rowBytes * height}`);
    samples = new Uint8Array(width * height * spp);
    for (let y = 0, o = 0; y < height; y++) {
      const row = (png.data as Uint8Array).subarray(y * rowBytes, (y + 1) * rowBytes);
      for (let i = 0; i < width * spp; i++) samples[o++] = packedSample(row, i, depth);
    }
  } else {
    if (png.data.length !== width * height * spp) throw new Error(`decoded ${png.data.length} samples, expected ${width * height * spp}`);
    samples = png.data as Uint8Array | Uint16Array;
  }
  // fast-png gives a palette's entries a fourth (alpha) value when a tRNS chunk is present, and refuses tRNS for types 4 and 6.
  const paletteAlpha = colorType === 3 && png.palette !== undefined && png.palette[0]?.length === 4;
  return {
    width,
    height,
    depth,
    colorType,
    samples,
    palette: png.palette,
    transparentColor: colorType === 0 || colorType === 2 ? png.transparency : undefined,
    alpha: (colorType & 4) !== 0 || paletteAlpha || png.transparency !== undefined,
  };
}

/**
 * Reads a PNG without fast-png (for the kinds it gets wrong, see `readPng`): checks each chunk's CRC,
 * collects PLTE, tRNS and the IDAT stream, inflates it (fflate, fast-png's own inflater), unfilters each
 * scanline and puts the pixels of each pass (one pass unless Adam7) in place.
 */
function readPngDirect(bytes: Uint8Array, depth: number, colorType: number, spp: number): PngSamples {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (bytes[26] !== 0) throw new Error(`unsupported compression method ${bytes[26]}`);
  if (bytes[27] !== 0) throw new Error(`unsupported filter method ${bytes[27]}`);
  if (bytes[28]! > 1) throw new Error(`unsupported interlace method ${bytes[28]}`);
  if (![1, 2, 4, 8, 16].includes(depth)) throw new Error(`invalid bit depth ${depth}`);
  let palette: number[][] | undefined;
  let trns: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let off = 8, end = false; !end; ) {
    if (off + 12 > bytes.length) throw new Error('truncated PNG: no IEND chunk');
    const length = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    if (off + 12 + length > bytes.length) throw new Error(`truncated PNG: chunk ${type} runs past the end`);
    const data = bytes.subarray(off + 8, off + 8 + length);
    const crc = view.getUint32(off + 8 + length);
    if (crc32(bytes.subarray(off + 4, off + 8 + length)) !== crc) throw new Error(`CRC mismatch for chunk ${type}`);
    if (type === 'PLTE') {
      if (length % 3 !== 0) throw new Error(`PLTE length ${length} is not a multiple of 3`);
      palette = [];
      for (let i = 0; i < length; i += 3) palette.push([data[i]!, data[i + 1]!, data[i + 2]!]);
    } else if (type === 'tRNS') trns = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') end = true;
    off += 12 + length;
  }
  let transparentColor: Uint16Array | undefined;
  if (trns && colorType === 3) {
    if (!palette || trns.length > palette.length) throw new Error('tRNS chunk has more alpha values than the palette has colors');
    palette = palette.map((c, i) => [...c, i < trns!.length ? trns![i]! : 255]);
  } else if (trns && (colorType === 0 || colorType === 2)) {
    if (trns.length % 2 !== 0) throw new Error(`tRNS length ${trns.length} is not a multiple of 2`);
    transparentColor = new Uint16Array(trns.length / 2).map((_, i) => (trns![i * 2]! << 8) | trns![i * 2 + 1]!);
  }
  const zlib = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of idat) {
    zlib.set(c, at);
    at += c.length;
  }
  const raw = unzlibSync(zlib);
  const samples = depth === 16 ? new Uint16Array(width * height * spp) : new Uint8Array(width * height * spp);
  const sampleAt = (row: Uint8Array, i: number) => (depth === 16 ? (row[i * 2]! << 8) | row[i * 2 + 1]! : depth === 8 ? row[i]! : packedSample(row, i, depth));
  const filterBpp = Math.max(1, Math.ceil((spp * depth) / 8));
  let pos = 0;
  for (const [x0, y0, dx, dy] of bytes[28] === 1 ? ADAM7 : [[0, 0, 1, 1] as const]) {
    const passWidth = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const passHeight = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    if (passWidth === 0 || passHeight === 0) continue;
    const rowBytes = Math.ceil((passWidth * spp * depth) / 8);
    let prev: Uint8Array = new Uint8Array(rowBytes);
    for (let py = 0; py < passHeight; py++) {
      if (pos + 1 + rowBytes > raw.length) throw new Error('ran out of image data');
      const row = unfilterRow(raw[pos]!, raw.subarray(pos + 1, pos + 1 + rowBytes), prev, filterBpp);
      pos += 1 + rowBytes;
      const y = y0 + py * dy;
      for (let px = 0; px < passWidth; px++) {
        const at = (y * width + x0 + px * dx) * spp;
        for (let s = 0; s < spp; s++) samples[at + s] = sampleAt(row, px * spp + s);
      }
      prev = row;
    }
  }
  if (pos !== raw.length) throw new Error('extra image data after the last scanline');
  return { width, height, depth, colorType, samples, palette, transparentColor, alpha: (colorType & 4) !== 0 || trns !== undefined };
}

/** Undoes a scanline's filter (PNG spec 9.2) against the previous unfiltered line of its pass (zeros for the first). */
function unfilterRow(filter: number, line: Uint8Array, prev: Uint8Array, bpp: number): Uint8Array {
  const out = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) {
    const a = i >= bpp ? out[i - bpp]! : 0;
    const b = prev[i]!;
    const c = i >= bpp ? prev[i - bpp]! : 0;
    let predictor: number;
    if (filter === 0) predictor = 0;
    else if (filter === 1) predictor = a;
    else if (filter === 2) predictor = b;
    else if (filter === 3) predictor = (a + b) >> 1;
    else if (filter === 4) {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    } else throw new Error(`unsupported filter type ${filter}`);
    out[i] = (line[i]! + predictor) & 0xff;
  }
  return out;
}

/**
 * pngjs's default decoding, which this function returned before: every pixel as 8-bit RGBA. Samples of
 * another depth scale to 0..255 as floor(v * 255 / (2^depth - 1) + 0.5) (16 bits: round(v / 257), not the
 * high byte; 1/2/4 bits: 0/255, multiples of 85, of 17); gray is replicated into R, G and B; alpha is 255
 * where the image has none; a palette index takes its entry (with tRNS's alpha, else 255); a pixel equal
 * to tRNS's transparent gray or RGB (compared at the stored depth) becomes 0, 0, 0, 0.
 */
function pngToRgba8(png: PngSamples): Uint8Array {
  const { width, height, depth, colorType, samples } = png;
  const n = width * height;
  const rgba = new Uint8Array(n * 4);
  if (colorType === 3) {
    const palette = png.palette;
    if (!palette || palette.length === 0) throw new Error('expected palette not found');
    for (let p = 0; p < n; p++) {
      const color = palette[samples[p]!];
      if (!color) throw new Error(`index ${samples[p]} not in palette`);
      rgba[p * 4] = color[0]!;
      rgba[p * 4 + 1] = color[1]!;
      rgba[p * 4 + 2] = color[2]!;
      rgba[p * 4 + 3] = color[3] ?? 255;
    }
    return rgba;
  }
  const spp = SAMPLES_PER_PIXEL[colorType]!;
  const max = 2 ** depth - 1;
  const scale = (v: number) => (depth === 8 ? v : Math.floor((v * 255) / max + 0.5));
  const trans = png.transparentColor;
  const isGray = colorType === 0 || colorType === 4;
  if (trans && trans.length < (isGray ? 1 : 3)) throw new Error(`tRNS chunk too short (${trans.length} values)`);
  for (let p = 0; p < n; p++) {
    const s = p * spp;
    const o = p * 4;
    if (trans && (isGray ? samples[s] === trans[0] : samples[s] === trans[0] && samples[s + 1] === trans[1] && samples[s + 2] === trans[2])) continue;
    if (isGray) {
      rgba[o] = rgba[o + 1] = rgba[o + 2] = scale(samples[s]!);
      rgba[o + 3] = colorType === 4 ? scale(samples[s + 1]!) : 255;
    } else {
      rgba[o] = scale(samples[s]!);
      rgba[o + 1] = scale(samples[s + 1]!);
      rgba[o + 2] = scale(samples[s + 2]!);
      rgba[o + 3] = colorType === 6 ? scale(samples[s + 3]!) : 255;
    }
  }
  return rgba;
}

/**
 * A PNG as 8-bit RGBA (pngjs's mapping, see `pngToRgba8`) with its own channel count: 4 with an alpha
 * channel or a tRNS chunk, 3 for colour, 1 for gray. Pure JS on the Uint8Array: it runs in a browser too.
 */
export function decodePngRgba(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array; channels: number } {
  const png = readPng(bytes);
  return { width: png.width, height: png.height, rgba: pngToRgba8(png), channels: png.alpha ? 4 : png.colorType & 2 ? 3 : 1 };
}
