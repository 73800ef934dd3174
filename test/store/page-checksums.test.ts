import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from '../../src/node/crc32.js';
import { portableCrc32 } from '../../src/store/portable-crc32.js';
import { checkFooterChecksum, FOOTER_CRC_KEY } from '../../src/store/footer-checksum.js';
import { chunkRange, formatPageCrcs, PAGE_CRC_KEY, pageSpans, parsePageCrcs, verifyChunkChecksums } from '../../src/store/page-checksums.js';
import { parseFooter } from '../../src/store/source-footer.js';
import { duck, lit } from '../duckdb.js';
import { crashRows } from '../reliability/fixtures/crash-rows.js';
import { materializeDataset } from '../../src/materialize/materialize.js';
import { BitcoinSchema } from '../../src/forecasting/schemas.js';
import { useTmpDir } from '../tmp-dir.js';

describe('page and footer checksums', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  it('computes the standard CRC-32 natively and portably', () => {
    const check = new TextEncoder().encode('123456789');
    expect([crc32(check), portableCrc32(check)]).to.deep.equal([0xcbf43926, 0xcbf43926]);
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 2_654_435_761) >>> 24);
    expect(crc32(big)).to.equal(portableCrc32(big));
    expect(crc32(big.subarray(500), crc32(big.subarray(0, 500)))).to.equal(crc32(big));
  });

  it('formats and parses the per-page record, refusing a malformed one', () => {
    const pages = [{ length: 1748, crc: 0x0a1b2c3d }, { length: 22, crc: 0xffffffff }];
    expect(formatPageCrcs(pages)).to.equal('1748:0a1b2c3d 22:ffffffff');
    expect(parsePageCrcs('1748:0a1b2c3d 22:ffffffff')).to.deep.equal(pages);
    expect(parsePageCrcs('1748:0a1b2c3 22:ffffffff')).to.equal(null);
    expect(parsePageCrcs('')).to.equal(null);
  });

  it('records the CRC-32 of every page of every column chunk of a part, and its footer CRC; DuckDB reads the part unchanged', async () => {
    const dir = join(tmp(), 'store');
    await materializeDataset(dir, BitcoinSchema, crashRows(0, 1_200), { rowGroupSize: 500 });
    const part = join(dir, readdirSync(dir).find((f) => f.startsWith('part-'))!);
    const bytes = new Uint8Array(readFileSync(part));
    const { metadata, rawKeyValues } = parseFooter(bytes, bytes.length);
    expect(rawKeyValues.has(FOOTER_CRC_KEY)).to.equal(true);
    const metaLen = new DataView(bytes.buffer).getUint32(bytes.length - 8, true);
    expect(checkFooterChecksum(bytes.subarray(bytes.length - 8 - metaLen, bytes.length - 8))).to.deep.equal({ status: 'ok' });
    expect(metadata.row_groups.map((rg) => Number(rg.num_rows))).to.deep.equal([500, 500, 200]);
    let chunks = 0;
    for (const rg of metadata.row_groups) {
      for (const c of rg.columns) {
        const meta = c.meta_data!;
        const { start, end } = chunkRange(meta);
        const chunk = bytes.subarray(start, end);
        const expected = pageSpans(chunk).map((p) => ({ length: p.length, crc: crc32(chunk.subarray(p.offset, p.offset + p.length)) }));
        expect(parsePageCrcs(meta.key_value_metadata!.find((kv) => kv.key === PAGE_CRC_KEY)!.value!)).to.deep.equal(expected);
        expect(verifyChunkChecksums(chunk, meta, start)).to.equal(null);
        chunks++;
      }
    }
    expect(chunks).to.equal(15);
    const rows = (await duck(`select market_cap from read_parquet(${lit(part)}) order by timestamp`)) as { market_cap: number }[];
    expect(rows.map((r) => r.market_cap)).to.deep.equal(Array.from({ length: 1_200 }, (_, i) => i));
    const kv = (await duck(`select count(*) n from parquet_kv_metadata(${lit(part)}) where key = '${FOOTER_CRC_KEY}'`)) as [{ n: bigint }];
    expect(kv[0].n).to.equal(1n);
  });

  it('names the damaged page: a flipped bit in the second page of a chunk is page 1 at that page\'s file offset', async () => {
    const dir = join(tmp(), 'pages');
    await materializeDataset(dir, BitcoinSchema, crashRows(0, 500), { rowGroupSize: 500 });
    const part = join(dir, readdirSync(dir).find((f) => f.startsWith('part-'))!);
    const bytes = new Uint8Array(readFileSync(part));
    const meta = parseFooter(bytes, bytes.length).metadata.row_groups[0]!.columns[1]!.meta_data!;
    const { start, end } = chunkRange(meta);
    const chunk = bytes.slice(start, end);
    const [page] = parsePageCrcs(meta.key_value_metadata!.find((kv) => kv.key === PAGE_CRC_KEY)!.value!)!;
    // a chunk of two copies of its page, recorded as two pages
    const doubled = new Uint8Array(chunk.length * 2);
    doubled.set(chunk);
    doubled.set(chunk, chunk.length);
    doubled[chunk.length + 30]! ^= 0x10;
    const record = formatPageCrcs([page!, page!]);
    const twoPages = { ...meta, total_compressed_size: BigInt(doubled.length), key_value_metadata: [{ key: PAGE_CRC_KEY, value: record }] };
    const bad = verifyChunkChecksums(doubled, twoPages, start);
    expect(bad?.page).to.equal(1);
    expect(bad?.fileOffset).to.equal(start + chunk.length);
    expect(bad?.reason).to.match(/^CRC-32 of its \d+ bytes is [0-9a-f]{8}, recorded [0-9a-f]{8}$/);
  });

  it('refuses a footer that lost its checksum entry while its chunks carry page checksums, and one whose bytes changed', async () => {
    const dir = join(tmp(), 'footer');
    await materializeDataset(dir, BitcoinSchema, crashRows(0, 100), { rowGroupSize: 100 });
    const part = join(dir, readdirSync(dir).find((f) => f.startsWith('part-'))!);
    const bytes = new Uint8Array(readFileSync(part));
    const metaLen = new DataView(bytes.buffer).getUint32(bytes.length - 8, true);
    const footer = bytes.slice(bytes.length - 8 - metaLen, bytes.length - 8);
    const key = new TextEncoder().encode(FOOTER_CRC_KEY);
    const at = Buffer.from(footer).indexOf(Buffer.from(key));
    const renamed = footer.slice();
    renamed[at] = 'T'.charCodeAt(0);
    expect(checkFooterChecksum(renamed)).to.deep.equal({ status: 'mismatch', reason: `its column chunks carry page checksums but its footer checksum (${FOOTER_CRC_KEY}) is missing` });
    const flipped = footer.slice();
    flipped[10]! ^= 1;
    const check = checkFooterChecksum(flipped);
    expect(check.status).to.equal('mismatch');
    expect((check as { reason: string }).reason).to.match(new RegExp(`^the CRC-32 of its ${metaLen}-byte footer is [0-9a-f]{8}, recorded [0-9a-f]{8}$`));
  });

  // Regression test: the check zeroed the recorded digits in the caller's bytes when they were a Node Buffer
  // (a local _metadata is read with readFile), whose slice() is a view, not a copy.
  it('checking a footer held in a Node Buffer leaves its bytes unchanged', async () => {
    const dir = join(tmp(), 'buffer');
    await materializeDataset(dir, BitcoinSchema, crashRows(0, 100), { rowGroupSize: 100 });
    const bytes = readFileSync(join(dir, '_metadata'));
    const metaLen = bytes.readUInt32LE(bytes.length - 8);
    const footer = bytes.subarray(bytes.length - 8 - metaLen, bytes.length - 8);
    const before = Buffer.from(footer);
    expect(checkFooterChecksum(footer)).to.deep.equal({ status: 'ok' });
    expect(Buffer.compare(footer, before)).to.equal(0);
    expect(checkFooterChecksum(footer)).to.deep.equal({ status: 'ok' });
  });
});
