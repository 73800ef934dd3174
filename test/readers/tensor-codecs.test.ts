import { expect } from 'chai';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage, decodeNpyValue } from '../../src/readers/tensor-codecs.js';
import { encodeNpy } from '../../src/schema/npy.js';

function rgbImage(w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    rgb[i * 3] = (i * 7) % 256;
    rgb[i * 3 + 1] = 200;
    rgb[i * 3 + 2] = 30;
  }
  return rgb;
}

function rgba(rgb: Uint8Array): Buffer {
  const out = Buffer.alloc((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) {
    out[p * 4] = rgb[p * 3]!;
    out[p * 4 + 1] = rgb[p * 3 + 1]!;
    out[p * 4 + 2] = rgb[p * 3 + 2]!;
    out[p * 4 + 3] = 255;
  }
  return out;
}

describe('tensor codecs', () => {
  it('decodes an RGB PNG to [height, width, 3] uint8, pixel for pixel', () => {
    const rgb = rgbImage(16, 32);
    const png = new PNG({ width: 16, height: 32, colorType: 2 });
    png.data = rgba(rgb);
    const bytes = PNG.sync.write(png, { colorType: 2 });
    const img = decodeImage(new Uint8Array(bytes), 'png', [32, 16, 3], 'test');
    expect(img.shape).to.deep.equal([32, 16, 3]);
    expect(Array.from(img.data as Uint8Array)).to.deep.equal(Array.from(rgb));
  });

  it('decodes a JPEG to [height, width, 3] uint8 close to the original', () => {
    const rgb = rgbImage(8, 8);
    const { data } = jpeg.encode({ width: 8, height: 8, data: rgba(rgb) }, 100);
    const img = decodeImage(new Uint8Array(data), 'jpeg', [8, 8, 3], 'test');
    expect(img.shape).to.deep.equal([8, 8, 3]);
    expect(img.data[1]).to.be.closeTo(200, 8);
    expect(img.data[2]).to.be.closeTo(30, 8);
  });

  it('decodes numpy byte-string and unicode arrays, and numeric arrays through decodeNpy', () => {
    const header = (descr: string, shape: string) => {
      let h = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
      h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
      return Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]), Buffer.from(h, 'latin1')]);
    };
    const s = Buffer.concat([header('|S2', '(3,)'), Buffer.from('ab\0\0cd', 'latin1')]);
    expect(decodeNpyValue(new Uint8Array(s), 't')).to.deep.equal({ shape: [3], data: ['ab', '', 'cd'] });
    const u = Buffer.alloc(2 * 4 * 2);
    'hi'.split('').forEach((c, i) => u.writeUInt32LE(c.codePointAt(0)!, i * 4));
    u.writeUInt32LE(0x1f600, 8);
    expect(decodeNpyValue(new Uint8Array(Buffer.concat([header('<U2', '(2,)'), u])), 't')).to.deep.equal({ shape: [2], data: ['hi', '😀'] });
    const f = decodeNpyValue(encodeNpy({ shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, 'float32'), 't');
    expect(f.shape).to.deep.equal([2, 2]);
    expect(Array.from(f.data as Float32Array)).to.deep.equal([1, 2, 3, 4]);
  });
});
