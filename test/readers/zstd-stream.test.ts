import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompress } from 'fzstd';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { zstdStreamFactory, zstdStreamKind, zstdStreamSettings } from '../../src/readers/zstd-stream.js';
import { duck, lit } from '../duckdb.js';

/** The zstd frames of the data pages of a file DuckDB writes with zstd (several MB each, many blocks). */
async function duckdbFrames(dir: string): Promise<Uint8Array[]> {
  const path = join(dir, 'z.parquet');
  await duck(`COPY (SELECT random()::DOUBLE AS d, (i % 977)::INTEGER AS k FROM range(1500000) t(i)) TO ${lit(path)} (FORMAT PARQUET, ROW_GROUP_SIZE 1500000, COMPRESSION zstd)`);
  const file = readFileSync(path);
  const buffer = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
  const frames: Uint8Array[] = [];
  for (const c of parquetMetadata(buffer).row_groups[0]!.columns) {
    let at = Number(c.meta_data!.dictionary_page_offset ?? c.meta_data!.data_page_offset);
    const end = at + Number(c.meta_data!.total_compressed_size);
    while (at < end) {
      const reader = { view: new DataView(buffer, at), offset: 0 };
      const header = parquetHeader(reader);
      if (header.type === 'DATA_PAGE') frames.push(new Uint8Array(buffer, at + reader.offset, header.compressed_page_size));
      at += reader.offset + header.compressed_page_size;
    }
  }
  return frames;
}

/** Decompresses `frame` fed in pieces of `piece` bytes; the output joined. */
async function streamed(frame: Uint8Array, piece: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const z = (await zstdStreamFactory())((c) => parts.push(c.slice()));
  for (let at = 0; at < frame.length; at += piece) z.push(frame.subarray(at, at + piece), at + piece >= frame.length);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('streaming zstd: the WebAssembly decoder behind a push interface, the portable one as fallback', function () {
  this.timeout(60_000);
  let frames: Uint8Array[];
  // Written once for the file (useTmpDir's folders are made per test, after before()).
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfpl-zstd-'));
    try {
      frames = await duckdbFrames(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(frames.length).to.be.at.least(2);
    expect(Math.max(...frames.map((f) => f.length))).to.be.greaterThan(4 * 2 ** 20);
  });
  afterEach(() => {
    zstdStreamSettings.portable = false;
  });

  it('loads the WebAssembly decoder here, and every frame fed in any piece size decodes as fzstd decodes it whole', async () => {
    expect(await zstdStreamKind()).to.equal('wasm');
    for (const portable of [false, true]) {
      zstdStreamSettings.portable = portable;
      for (const frame of frames) {
        const whole = decompress(frame);
        for (const piece of [frame.length, 4 * 2 ** 20, 65_537, 1_000]) {
          expect(Buffer.compare(await streamed(frame, piece), whole), `portable ${portable}, pieces of ${piece}`).to.equal(0);
        }
      }
    }
  });

  it('a corrupt frame is an error, never a decoder spinning on it; a truncated one too', async () => {
    for (const portable of [false, true]) {
      zstdStreamSettings.portable = portable;
      const frame = frames[0]!;
      const corrupt = frame.slice();
      for (let i = 1000; i < corrupt.length; i += 997) corrupt[i] = corrupt[i]! ^ 0x5a;
      const errs = await Promise.all([streamed(corrupt, 65_536), streamed(frame.subarray(0, frame.length - 5000), 65_536)].map((p) => p.then(() => null, (e: unknown) => e)));
      for (const e of errs) expect(e, `portable ${portable}`).to.be.instanceOf(Error);
    }
  });

  it('a stream closed halfway frees its decoder: a thousand of them leave the next one decoding the same bytes', async () => {
    const frame = frames[0]!;
    const create = await zstdStreamFactory();
    for (let i = 0; i < 1000; i++) {
      let got = 0;
      const z = create((c) => (got += c.length));
      z.push(frame.subarray(0, 2 ** 18), false);
      z.push(frame.subarray(2 ** 18, 2 ** 19), false);
      expect(got).to.be.greaterThan(0);
      z.close();
    }
    expect(Buffer.compare(await streamed(frame, 2 ** 20), decompress(frame))).to.equal(0);
  });
});
