import zstdWasm from '@foxglove/wasm-zstd';
import { expect } from 'chai';
import { compressors as portable } from 'hyparquet-compressors';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { zstdDecoder } from '../../src/index.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { compressorSettings, loadCompressors } from '../../src/readers/compressors.js';
import type { ColumnBatch } from '../../src/schema/columns.js';
import { mulberry32 } from '../../src/prng.js';
import { collect, useBtcStore } from './fixtures.js';

const bytes = (a: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('zstd decoder of the decode path', function () {
  this.timeout(60_000);
  const store = useBtcStore(7_000, 1_000, 7_000);

  it('is the WebAssembly build of facebook/zstd (@foxglove/wasm-zstd), and says so', async () => {
    expect(await zstdDecoder()).to.deep.equal({ name: '@foxglove/wasm-zstd', kind: 'wasm' });
  });

  it('decodes frames of 1 B to 2 MiB (random, repetitive and float-like bytes, levels 1 to 19) exactly as the portable decoder does', async () => {
    const { compressors } = await loadCompressors();
    await zstdWasm.isLoaded;
    const rng = mulberry32(7);
    let frames = 0;
    for (const size of [1, 100, 4_095, 4_096, 65_536, 1_000_003, 2 ** 21]) {
      for (const kind of ['random', 'repetitive', 'floats'] as const) {
        const input = new Uint8Array(size);
        if (kind === 'random') for (let i = 0; i < size; i++) input[i] = (rng() * 256) | 0;
        else if (kind === 'repetitive') for (let i = 0; i < size; i++) input[i] = (i % 17) * 3;
        else new Float32Array(input.buffer, 0, size >> 2).forEach((_, i, a) => (a[i] = 30_000 + Math.round(rng() * 400) / 4));
        for (const level of [1, 19]) {
          const frame = new Uint8Array(zstdWasm.compress(input, level));
          const out = compressors.ZSTD!(frame, size);
          expect(bytes(out).equals(bytes(input)), `${kind} ${size} B level ${level}`).to.equal(true);
          expect(bytes(out).equals(bytes(portable.ZSTD!(frame, size))), `${kind} ${size} B level ${level} vs the portable decoder`).to.equal(true);
          // The page owns its buffer: a column may be a view of it and its buffer may be transferred.
          expect(out.byteOffset === 0 && out.byteLength === out.buffer.byteLength, `${kind} ${size} B owns its buffer`).to.equal(true);
          frames++;
        }
      }
    }
    expect(frames).to.equal(42);
  });

  it('reads a zstd store value for value as the portable decoder does', async () => {
    const wasm = await collect(await makeBatchReader(store(), { workers: 0 }));
    compressorSettings.portableZstd = true;
    let portable: ColumnBatch[];
    try {
      portable = await collect(await makeBatchReader(store(), { workers: 0 }));
    } finally {
      compressorSettings.portableZstd = false;
    }
    expect(wasm.length).to.equal(portable.length).and.to.be.greaterThan(1);
    for (let i = 0; i < wasm.length; i++) {
      for (const [name, col] of Object.entries(wasm[i]!.columns)) {
        const other = portable[i]!.columns[name]!;
        expect(other.constructor, name).to.equal(col.constructor);
        expect(Array.from(col as ArrayLike<unknown>, String), name).to.deep.equal(Array.from(other as ArrayLike<unknown>, String));
      }
    }
  });

  it('fails on a corrupt frame with an Error and keeps using the WebAssembly decoder', async () => {
    const { compressors } = await loadCompressors();
    const frame = new Uint8Array(zstdWasm.compress(new Uint8Array(10_000).fill(7), 3));
    frame[frame.length >> 1]! ^= 0xff;
    frame[6]! ^= 0x55;
    expect(() => compressors.ZSTD!(frame, 10_000)).to.throw(Error);
    // A frame that decodes to fewer bytes than the page header claims cannot pass as the page either.
    expect(() => decompressPage(new Uint8Array(zstdWasm.compress(new Uint8Array(10), 3)), 11, 'ZSTD', compressors)).to.throw('parquet decompressed page length 10 does not match header 11');
    expect((await zstdDecoder()).kind).to.equal('wasm');
  });

  it('leaves a page claiming more than 64 MiB to the portable decoder (the WebAssembly heap never shrinks)', async () => {
    const { compressors } = await loadCompressors();
    const frame = new Uint8Array(zstdWasm.compress(new Uint8Array(10).fill(1), 3));
    // fzstd sizes its output from the frame; the reader then rejects the length (hyparquet checks it).
    expect(compressors.ZSTD!(frame, 65 * 2 ** 20).length).to.equal(10);
  });

  it('maps an empty input to an empty page for every codec', async () => {
    const { compressors } = await loadCompressors();
    for (const [codec, fn] of Object.entries(compressors)) expect(fn!(new Uint8Array(0), 0).length, codec).to.equal(0);
  });
});
