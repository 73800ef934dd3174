import { expect } from 'chai';
import { crc32, deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { SchemaError } from '../../src/errors.js';
import { mulberry32 } from '../../src/prng.js';
import { decodeImage } from '../../src/readers/tensor-codecs.js';

// decodeImage decodes PNGs with fast-png (no Node Buffer or zlib, for the browser build). Until then it used
// pngjs, whose output it must keep: this test compares the two, pngjs's mapping written out below as the
// reference, on PNGs of every colour type × bit depth the spec allows, written by a small encoder here
// (pngjs's encoder writes only some kinds, and no interlaced ones).

/** Samples per pixel of each PNG colour type (0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA). */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** The bit depths the PNG spec allows for each colour type. */
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface PngSpec {
  width: number;
  height: number;
  colorType: number;
  depth: number;
  interlace: boolean;
  /** Row-major raw sample values, SAMPLES[colorType] a pixel. */
  samples: number[];
  palette?: number[][];
  /** The tRNS chunk's bytes. */
  trns?: Uint8Array;
  /** Picks each scanline's filter type (0..4). */
  filter: () => number;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, 'latin1');
  b.set(data, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
  return b;
}

/** Filters one scanline (PNG spec 9.2) against the previous raw line of its pass. */
function filterLine(type: number, raw: Uint8Array, prev: Uint8Array, bpp: number): Uint8Array {
  const out = new Uint8Array(1 + raw.length);
  out[0] = type;
  for (let i = 0; i < raw.length; i++) {
    const a = i >= bpp ? raw[i - bpp]! : 0;
    const b = prev[i]!;
    const c = i >= bpp ? prev[i - bpp]! : 0;
    const p = a + b - c;
    const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
    const predictor = [0, a, b, (a + b) >> 1, paeth][type]!;
    out[1 + i] = (raw[i]! - predictor) & 0xff;
  }
  return out;
}

/** A PNG file of any colour type, bit depth and interlace, each scanline with its own filter type. */
function encodePng(o: PngSpec): Buffer {
  const { width, height, colorType, depth } = o;
  const spp = SAMPLES[colorType]!;
  const bpp = Math.max(1, Math.ceil((spp * depth) / 8));
  const packRow = (xs: number[], y: number) => {
    const raw = new Uint8Array(Math.ceil((xs.length * spp * depth) / 8));
    let bit = 0;
    for (const x of xs) {
      for (let s = 0; s < spp; s++) {
        const v = o.samples[(y * width + x) * spp + s]!;
        if (depth === 16) raw.set([v >> 8, v & 0xff], bit / 8);
        else if (depth === 8) raw[bit / 8] = v;
        else raw[bit >> 3]! |= v << (8 - depth - (bit & 7));
        bit += depth;
      }
    }
    return raw;
  };
  const lines: Uint8Array[] = [];
  const passes = o.interlace ? ADAM7 : [[0, 0, 1, 1] as const];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0; x < width; x += dx) xs.push(x);
    if (xs.length === 0) continue;
    let prev = new Uint8Array(Math.ceil((xs.length * spp * depth) / 8));
    for (let y = y0; y < height; y += dy) {
      const raw = packRow(xs, y);
      lines.push(filterLine(o.filter(), raw, prev, bpp));
      prev = raw;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  ihdr[12] = o.interlace ? 1 : 0;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (o.palette) parts.push(chunk('PLTE', Uint8Array.from(o.palette.flat())));
  if (o.trns) parts.push(chunk('tRNS', o.trns));
  parts.push(chunk('IDAT', deflateSync(Buffer.concat(lines))), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** decodeImage as it was with pngjs: RGBA 8-bit from PNG.sync.read, then the first `channels` of each pixel. */
function pngjsReference(bytes: Uint8Array, shape: readonly (number | null)[]): { shape: number[]; data: number[] } {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const srcChannels = png.alpha ? 4 : png.color ? 3 : 1;
  const { width, height, data: rgba } = png;
  const channels = shape.length === 3 && typeof shape[2] === 'number' ? shape[2] : shape.length === 2 ? 1 : srcChannels;
  const out = new Uint8Array(width * height * channels);
  for (let p = 0, o = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) out[o++] = rgba[p * 4 + c]!;
  }
  return { shape: channels === 1 && shape.length === 2 ? [height, width] : [height, width, channels], data: Array.from(out) };
}

const be16 = (values: number[]) => Uint8Array.from(values.flatMap((v) => [v >> 8, v & 0xff]));

/** A random image of the kind, its transparent colour (if any) one that occurs in it. */
function randomPng(rand: () => number, colorType: number, depth: number, width: number, height: number, interlace: boolean, withTrns: boolean): PngSpec {
  const int = (n: number) => Math.floor(rand() * n);
  const spp = SAMPLES[colorType]!;
  let palette: number[][] | undefined;
  let trns: Uint8Array | undefined;
  let max = 2 ** depth;
  if (colorType === 3) {
    palette = Array.from({ length: 1 + int(2 ** depth) }, () => [int(256), int(256), int(256)]);
    max = palette.length;
    if (withTrns) trns = Uint8Array.from({ length: int(palette.length + 1) }, () => int(256));
  }
  // Low-entropy images too (a few values), so runs and repeated pixels occur.
  const few = rand() < 0.3 ? Array.from({ length: 3 }, () => int(max)) : null;
  const samples = Array.from({ length: width * height * spp }, () => (few ? few[int(3)]! : int(max)));
  if (withTrns && (colorType === 0 || colorType === 2)) {
    const p = int(width * height);
    trns = be16(samples.slice(p * spp, p * spp + spp));
  }
  return { width, height, colorType, depth, interlace, samples, palette, trns, filter: () => int(5) };
}

const SIZES: [number, number][] = [
  [1, 1],
  [3, 5],
  [17, 9],
  [8, 8],
  [2, 33],
];

describe('image codec: PNG through fast-png, as pngjs decoded it', () => {
  it('every colour type × bit depth, interlaced or not, with and without tRNS, odd sizes, every shape: the pngjs output', () => {
    const rand = mulberry32(20240611);
    let images = 0;
    let compared = 0;
    const kinds = new Set<string>();
    for (const colorType of [0, 2, 3, 4, 6]) {
      for (const depth of DEPTHS[colorType]!) {
        for (const interlace of [false, true]) {
          for (const withTrns of colorType === 4 || colorType === 6 ? [false] : [false, true]) {
            for (const [width, height] of SIZES) {
              const bytes = new Uint8Array(encodePng(randomPng(rand, colorType, depth, width, height, interlace, withTrns)));
              const label = `type ${colorType}, ${depth}-bit, ${interlace ? 'Adam7' : 'not interlaced'}${withTrns ? ', tRNS' : ''}, ${width}×${height}`;
              images++;
              kinds.add(`${colorType}/${depth}/${interlace}/${withTrns}`);
              for (const shape of [[height, width], [height, width, 1], [height, width, 3], [height, width, 4], [height, width, null]]) {
                const got = decodeImage(bytes, 'png', shape, label);
                expect({ shape: got.shape, data: Array.from(got.data as Uint8Array) }, `${label}, shape [${shape.join(', ')}]`).to.deep.equal(pngjsReference(bytes, shape));
                expect(got.data).to.be.instanceOf(Uint8Array);
                compared++;
              }
            }
          }
        }
      }
    }
    // 15 colour type × depth pairs, 11 of them with a tRNS variant: 26 kinds, each interlaced or not.
    expect(kinds.size).to.equal(52);
    expect(images).to.equal(52 * SIZES.length);
    expect(compared).to.equal(images * 5);
  });

  it('maps every 16-bit value as pngjs does (round(v / 257), not the high byte), gray and gray + alpha', () => {
    const values = Array.from({ length: 65536 }, (_, v) => v);
    const rand = mulberry32(7);
    for (const interlace of [false, true]) {
      const gray = new Uint8Array(encodePng({ width: 256, height: 256, colorType: 0, depth: 16, interlace, samples: values, filter: () => 0 }));
      const got = decodeImage(gray, 'png', [256, 256], 'gray16');
      expect(Array.from(got.data as Uint8Array)).to.deep.equal(pngjsReference(gray, [256, 256]).data);
      expect([got.data[255], got.data[0x7f80], got.data[0x80ff], got.data[0xff00]]).to.deep.equal([1, 127, 128, 254]);
      const la = values.flatMap((v) => [v, 65535 - v]);
      const grayAlpha = new Uint8Array(encodePng({ width: 256, height: 256, colorType: 4, depth: 16, interlace, samples: la, filter: () => Math.floor(rand() * 5) }));
      expect(Array.from(decodeImage(grayAlpha, 'png', [256, 256, 4], 'la16').data as Uint8Array)).to.deep.equal(pngjsReference(grayAlpha, [256, 256, 4]).data);
    }
  });

  it('scales 1-, 2- and 4-bit gray to 0..255 (0/255, multiples of 85, multiples of 17), interlaced or not', () => {
    for (const depth of [1, 2, 4]) {
      const levels = Array.from({ length: 2 ** depth }, (_, v) => v);
      for (const interlace of [false, true]) {
        const bytes = new Uint8Array(encodePng({ width: levels.length, height: 1, colorType: 0, depth, interlace, samples: levels, filter: () => 0 }));
        const got = decodeImage(bytes, 'png', [1, levels.length], 'gray');
        expect(Array.from(got.data as Uint8Array)).to.deep.equal(levels.map((v) => (v * 255) / (2 ** depth - 1)));
      }
    }
  });

  it('gray with a transparent tRNS colour becomes 0, 0, 0, 0 there (pngjs), with 4 channels from the image', () => {
    const bytes = new Uint8Array(encodePng({ width: 3, height: 1, colorType: 0, depth: 8, interlace: false, samples: [10, 20, 10], trns: be16([10]), filter: () => 0 }));
    const got = decodeImage(bytes, 'png', [1, 3, null], 't');
    expect(got.shape).to.deep.equal([1, 3, 4]);
    expect(Array.from(got.data as Uint8Array)).to.deep.equal([0, 0, 0, 0, 20, 20, 20, 255, 0, 0, 0, 0]);
  });

  it('decodes a PNG that is a view at an odd offset into a larger buffer', () => {
    const rand = mulberry32(3);
    for (const [colorType, depth, interlace] of [[2, 8, false], [0, 16, true], [3, 2, true], [0, 4, false]] as const) {
      const png = encodePng(randomPng(rand, colorType, depth, 17, 9, interlace, true));
      const big = new Uint8Array(png.length + 13);
      big.set(png, 5);
      const view = big.subarray(5, 5 + png.length);
      expect(Array.from(decodeImage(view, 'png', [9, 17, 4], 'v').data as Uint8Array)).to.deep.equal(pngjsReference(new Uint8Array(png), [9, 17, 4]).data);
    }
  });

  describe('a corrupt PNG fails with a SchemaError naming where, as it did with pngjs', () => {
    const rand = mulberry32(11);
    // Not interlaced (fast-png decodes it) and 1-bit Adam7 (read here: fast-png 8 unfilters those wrongly).
    for (const [colorType, depth, interlace] of [[2, 8, false], [3, 1, true], [0, 2, true]] as const) {
      const good = encodePng(randomPng(rand, colorType, depth, 17, 9, interlace, false));
      const idat = good.indexOf('IDAT');
      const corrupt: [string, Buffer][] = [
        ['truncated in IDAT', good.subarray(0, idat + 10)],
        ['without IEND', good.subarray(0, good.length - 12)],
        ['a flipped byte in IDAT (CRC mismatch)', Buffer.from(good).fill(good[idat + 6]! ^ 0x55, idat + 6, idat + 7)],
        ['a flipped byte in IHDR (CRC mismatch)', Buffer.from(good).fill(good[18]! ^ 1, 18, 19)],
        ['no IHDR after the signature', Buffer.concat([good.subarray(0, 8), Buffer.from('garbage, not a chunk at all')])],
        ['only the signature', good.subarray(0, 8)],
        ['empty', Buffer.alloc(0)],
      ];
      for (const [what, bytes] of corrupt) {
        it(`type ${colorType}, ${depth}-bit${interlace ? ', Adam7' : ''}: ${what}`, () => {
          expect(() => PNG.sync.read(bytes), 'pngjs rejected it too').to.throw();
          expect(() => decodeImage(new Uint8Array(bytes), 'png', [9, 17, 3], 'images/img_png[3]'))
            .to.throw(SchemaError)
            .with.property('message')
            .that.matches(/^images\/img_png\[3\]: cannot decode png image \(.+\)$/);
        });
      }
    }

    it('a palette index past the palette, and a palette image without PLTE', () => {
      for (const interlace of [false, true]) {
        const outOfPalette = encodePng({ width: 2, height: 2, colorType: 3, depth: 2, interlace, samples: [0, 1, 2, 3], palette: [[1, 2, 3], [4, 5, 6]], filter: () => 0 });
        const noPalette = encodePng({ width: 2, height: 2, colorType: 3, depth: 8, interlace, samples: [0, 0, 0, 0], filter: () => 0 });
        for (const bytes of [outOfPalette, noPalette]) {
          expect(() => PNG.sync.read(bytes)).to.throw();
          expect(() => decodeImage(new Uint8Array(bytes), 'png', [2, 2, 3], 'w')).to.throw(SchemaError, /^w: cannot decode png image/);
        }
      }
    });
  });
});
