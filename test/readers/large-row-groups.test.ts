import { expect } from 'chai';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { FileChangedError, ParquetReadError } from '../../src/store/parquet-read-error.js';
import { unitSettings } from '../../src/readers/read-unit.js';
import type { ColumnBatch } from '../../src/schema/columns.js';
import { makeTfDataset, type MakeTfDatasetOptions, openStore } from '../../src/index.js';
import { duck, lit } from '../duckdb.js';
import { startStaticServer } from '../static-server.js';
import { useTmpDir } from '../tmp-dir.js';
import { byValue, datasetWindows } from '../windowing/helpers.js';
import { ScriptChild } from '../reliability/child-process.js';
import { craftedParquet, int32s } from './crafted-parquet.js';
import { parquetHeader } from 'hyparquet/src/column.js';
import { collect } from './fixtures.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'parquet-testing', 'data');
/** Files of parquet-testing's data/ that are corrupt on purpose, or not Parquet. */
const NOT_READABLE = new Set(['nation.dict-malformed.parquet', 'uniform_encryption.parquet.encrypted', 'datapage_v1-corrupt-checksum.parquet', 'rle-dict-uncompressed-corrupt-checksum.parquet']);

/** Every value of every column, column by column (NaN as null, so missing values compare equal). */
function columnsOf(batches: ColumnBatch[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const b of batches) {
    for (const [k, v] of Object.entries(b.columns)) {
      const col = (out[k] ??= []);
      for (let i = 0; i < b.numRows; i++) {
        const x = (v as ArrayLike<unknown>)[i];
        col.push(typeof x === 'number' && Number.isNaN(x) ? null : x);
      }
    }
  }
  return out;
}

describe('row groups of any size: read in slices of bounded memory, value for value', function () {
  this.timeout(180_000);
  const tmp = useTmpDir();

  it('every readable file of parquet-testing reads the same in slices of 128 rows as whole (offset indexes, dictionaries, v2 pages, nulls, nested columns)', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.parquet') && !NOT_READABLE.has(f));
    expect(files.length).to.be.greaterThan(35);
    let sliced = 0;
    for (const f of files) {
      const path = join(FIXTURES, f);
      const whole = columnsOf(await collect(await makeBatchReader(path, { workers: 0 })));
      // Slices of 128 rows (their pages are larger than 128 × 8 bytes, so only the unit size is forced).
      unitSettings.rows = 128;
      try {
        const reader = await makeBatchReader(path, { workers: 0 });
        const slices = columnsOf(await collect(reader));
        expect(slices, f).to.deep.equal(whole);
        if (reader.numRowGroups > reader.store.rowGroups.length) sliced++;
      } finally {
        delete unitSettings.rows;
      }
    }
    // Most of them have a row group of more than 128 rows, so they were read in slices.
    expect(sliced).to.be.greaterThan(10);
  });

  /** The same rows written by DuckDB twice: as one row group, and in row groups of 65,536. */
  async function duckdbPair(dir: string, rows: number, compression: string): Promise<{ big: string; small: string }> {
    mkdirSync(join(dir, 'big'));
    mkdirSync(join(dir, 'small'));
    const select = `SELECT (TIMESTAMP '2024-01-01' + to_seconds(i * 60)) AS ts, (i % 1000)::FLOAT / 7 AS f, sin(i / 100.0)::DOUBLE AS d,
      CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 50000)::INTEGER END AS n, ['usd', 'eur', 'gbp'][1 + (i // 30000) % 3] AS vs FROM range(${rows}) t(i)`;
    await duck(`COPY (${select}) TO ${lit(join(dir, 'big', 'one.parquet'))} (FORMAT PARQUET, ROW_GROUP_SIZE ${rows}, COMPRESSION ${compression})`);
    await duck(`COPY (${select}) TO ${lit(join(dir, 'small', 'many.parquet'))} (FORMAT PARQUET, ROW_GROUP_SIZE 65536, COMPRESSION ${compression})`);
    return { big: join(dir, 'big'), small: join(dir, 'small') };
  }

  it('a 300,000-row row group written by DuckDB reads in slices exactly as the same rows in small row groups, locally, over HTTP (each page fetched once), sharded and shuffled', async () => {
    const { big, small } = await duckdbPair(tmp(), 300_000, 'snappy');
    expect((await openStore(big)).rowGroups.map((rg) => rg.numRows)).to.deep.equal([300_000]);
    // Units of 40,000 rows (DuckDB's pages here hold all 300,000 rows of a column: slices cut inside pages).
    unitSettings.rows = 40_000;
    const expected = columnsOf(await collect(await makeBatchReader(small, { workers: 0 })));
    const local = await makeBatchReader(big, { workers: 1 });
    expect(local.numRowGroups).to.equal(8);
    expect(columnsOf(await collect(local))).to.deep.equal(expected);
    expect(local.stats.rowsDecoded).to.equal(300_000);

    const server = await startStaticServer(big, true);
    try {
      const remote = await makeBatchReader(`${server.url}/one.parquet`, { workers: 0, batchSize: 100_000 });
      const got = await collect(remote);
      expect(got.map((b) => b.numRows)).to.deep.equal([100_000, 100_000, 100_000]);
      expect(columnsOf(got)).to.deep.equal(expected);
      // Fetched as the cursors needed them, each page once: at most the file and the 1 MiB windows of its headers.
      const file = (await openStore(big)).files[0]!.byteLength;
      expect(remote.fetchStats!.bytesFetched).to.be.at.most(file + 5 * 2 ** 20);
      // Two decode threads, each holding the cursors of some columns, asking this thread for their bytes.
      const threads = await makeBatchReader(`${server.url}/one.parquet`, { workers: 2, batchSize: 100_000 });
      expect(columnsOf(await collect(threads))).to.deep.equal(expected);
      expect(threads.fetchStats!.bytesFetched).to.be.at.most(file + 5 * 2 ** 20);
      expect(threads.stats.bytesRead).to.be.within(1, file + 5 * 2 ** 20);
    } finally {
      await server.close();
    }

    // Shards split the slices; a shuffle reads them in another order: the same rows, each once.
    const rowsOf = async (o: object) => {
      const c = columnsOf(await collect(await makeBatchReader(big, { workers: 0, columns: ['ts', 'f'], ...o })));
      return (c.ts as number[]).map((t, i) => [t, c.f![i]] as [number, unknown]);
    };
    const shards = [...(await rowsOf({ shardIndex: 0, shardCount: 3 })), ...(await rowsOf({ shardIndex: 1, shardCount: 3, workers: 2 })), ...(await rowsOf({ shardIndex: 2, shardCount: 3 }))];
    const shuffled = await rowsOf({ shuffleRowGroups: true, seed: 3 });
    expect(await rowsOf({ shuffleRowGroups: true, seed: 3, workers: 2 })).to.deep.equal(shuffled);
    const inOrder = (expected.ts as number[]).map((t, i) => [t, expected.f![i]] as [number, unknown]);
    const sorted = (rows: [number, unknown][]) => [...rows].sort((a, b) => a[0] - b[0]);
    expect(shards.length).to.equal(300_000);
    expect(sorted(shards)).to.deep.equal(inOrder);
    expect(shuffled).to.not.deep.equal(inOrder);
    expect(sorted(shuffled)).to.deep.equal(inOrder);

    // makeTfDataset over slices: the windows of the small row groups, shuffled or not, per series.
    const options: MakeTfDatasetOptions = { features: ['f', 'd'], targets: ['d'], windowSize: 16, timestampColumn: 'ts', maxGap: 60_000, seriesColumns: ['vs'], split: { train: 0.7, validation: 0.3 }, normalize: 'zscore', batchSize: 4096, workers: 0, filters: [['ts', '<', Date.UTC(2024, 0, 1) + 60_000 * 120_000]] };
    const fromSmall = await datasetWindows(small, options);
    const fromBig = await datasetWindows(big, options);
    expect(fromBig.length).to.be.greaterThan(80_000);
    expect(fromBig).to.deep.equal(fromSmall);
    const bigShuffled = await datasetWindows(big, { ...options, shuffle: true, seed: 9 });
    expect(bigShuffled).to.not.deep.equal(fromSmall);
    expect(bigShuffled.sort(byValue)).to.deep.equal(fromSmall.sort(byValue));
    const ds = await makeTfDataset(big, options);
    const reference = await makeTfDataset(small, options);
    expect(ds.normalization).to.deep.equal(reference.normalization);
  });

  it('a file changed on the server while its slices are read fails with the FileChangedError of the byte read, in decode threads as on the calling thread', async () => {
    // One 16 MB page, streamed in pieces of 4 MiB against a bound of 1 MiB: reads go on after the first batch.
    const big = join(tmp(), 'one.parquet');
    await duck(`COPY (SELECT i::DOUBLE AS d FROM range(2000000) t(i)) TO ${lit(big)} (FORMAT PARQUET, ROW_GROUP_SIZE 2000000, COMPRESSION uncompressed)`);
    unitSettings.rows = 40_000;
    try {
      const errors: unknown[] = [];
      for (const workers of [0, 1]) {
        const copy = join(tmp(), `changing-${workers}`);
        mkdirSync(copy);
        copyFileSync(big, join(copy, 'one.parquet'));
        const server = await startStaticServer(copy, true);
        try {
          const reader = await makeBatchReader(`${server.url}/one.parquet`, { workers, batchSize: 40_000, maxBatchBytes: 2 ** 20 });
          const it = reader[Symbol.asyncIterator]();
          expect((await it.next()).value.numRows).to.equal(40_000);
          // Rewritten after the reader pinned its version: every later range answer is 412.
          appendFileSync(join(copy, 'one.parquet'), new Uint8Array(16));
          errors.push(await (async () => {
            for (;;) if ((await it.next()).done) return null;
          })().catch((e: unknown) => e));
        } finally {
          await server.close();
        }
      }
      for (const e of errors) expect(e).to.be.instanceOf(FileChangedError);
      const said = (e: unknown) => (e as Error).message.replace(/127\.0\.0\.1:\d+/, 'server');
      expect(said(errors[1])).to.equal(said(errors[0]));
      expect(said(errors[0])).to.match(/^http:\/\/server\/one\.parquet: the file changed after the store was opened \(HTTP GET bytes \d+-\d+ answered 412 Precondition Failed to if-match\)/);
    } finally {
      delete unitSettings.rows;
    }
  });

  it('pages larger than maxBatchBytes are streamed (PLAIN numbers in zstd pages, nulls included), value for value; those that cannot be are refused naming the page and the size needed', async () => {
    // DuckDB writes a page per 100 MB: 2.4 MB pages here, against a bound of 1 MiB.
    const { big, small } = await duckdbPair(tmp(), 300_000, 'zstd');
    const maxBatchBytes = 2 ** 20;
    const expected = columnsOf(await collect(await makeBatchReader(small, { workers: 0, columns: ['ts', 'f', 'd', 'n'] })));
    const reader = await makeBatchReader(big, { workers: 0, maxBatchBytes, columns: ['ts', 'f', 'd', 'n'] });
    expect(reader.numRowGroups).to.equal(3); // slices of 131,072 rows
    expect(columnsOf(await collect(reader))).to.deep.equal(expected);
    // The same streams in decode threads (each column's cursor on one of them).
    expect(columnsOf(await collect(await makeBatchReader(big, { workers: 2, maxBatchBytes, columns: ['ts', 'f', 'd', 'n'] })))).to.deep.equal(expected);
    // A shuffled order starts streams mid-page: the rows before are passed over.
    const shuffled = columnsOf(await collect(await makeBatchReader(big, { workers: 0, maxBatchBytes, columns: ['ts'], shuffleRowGroups: true, seed: 1 })));
    expect(columnsOf(await collect(await makeBatchReader(big, { workers: 1, maxBatchBytes, columns: ['ts'], shuffleRowGroups: true, seed: 1 })))).to.deep.equal(shuffled);
    expect([...(shuffled.ts as number[])].sort((a, b) => a - b)).to.deep.equal(expected.ts);

    // Snappy decompresses whole pages only: a page past the bound is refused, saying what would read it.
    const snappy = join(tmp(), 'snappy');
    mkdirSync(snappy);
    await duck(`COPY (SELECT i::DOUBLE AS d FROM range(300000) t(i)) TO ${lit(join(snappy, 'one.parquet'))} (FORMAT PARQUET, ROW_GROUP_SIZE 300000, COMPRESSION snappy)`);
    const err = await collect(await makeBatchReader(snappy, { workers: 0, maxBatchBytes })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ParquetReadError);
    const e = err as ParquetReadError;
    expect([e.rowGroup, e.column, e.page]).to.deep.equal([0, 'd', 0]);
    expect(e.reason).to.match(/^its data page declares 2400\d+ bytes uncompressed and 300000 values \(2400000 bytes decoded\), more than maxBatchBytes \(1048576\) lets one page take in memory and it cannot be read in pieces \(its codec SNAPPY decompresses only whole pages\); raise maxBatchBytes to at least 2400\d+ to read it/);
  });

  afterEach(() => {
    delete unitSettings.rows;
  });
});

describe('hostile page headers are refused before anything they declare is allocated', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  /** Reads a crafted file with 0 and 1 decode threads; the ParquetReadError each gives. */
  async function refusals(name: string, file: Uint8Array, maxBatchBytes?: number): Promise<ParquetReadError[]> {
    const path = join(tmp(), `${name}.parquet`);
    writeFileSync(path, file);
    const out: ParquetReadError[] = [];
    for (const workers of [0, 1]) {
      const err = await collect(await makeBatchReader(path, { workers, verifyChecksums: false, ...(maxBatchBytes ? { maxBatchBytes } : {}) })).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `${name}, workers ${workers}`).to.be.instanceOf(ParquetReadError);
      const e = err as ParquetReadError;
      expect([e.file, e.rowGroup, e.column], e.message).to.deep.equal([path, 0, 'x']);
      out.push(e);
    }
    expect(out[1]!.reason).to.equal(out[0]!.reason);
    return out;
  }

  it('a page declaring 2 GiB uncompressed (Snappy, which decompresses whole pages)', async () => {
    const [e] = await refusals('huge-page', craftedParquet({ rows: 10, codec: 1, pages: [{ kind: 'data', values: 10, uncompressed: 2 ** 31 - 1, body: new Uint8Array(40) }] }));
    expect(e!.page).to.equal(0);
    expect(e!.reason).to.equal('its data page declares 2147483647 bytes uncompressed and 10 values (80 bytes decoded), more than maxBatchBytes (16777216) lets one page take in memory; raise maxBatchBytes to at least 2147483647 to read it, or rewrite the file with smaller pages');
  });

  it('a dictionary page larger than the bound', async () => {
    const [e] = await refusals('huge-dictionary', craftedParquet({ rows: 10, codec: 0, pages: [{ kind: 'dictionary', values: 5, uncompressed: 100_000_000, body: int32s([1, 2, 3, 4, 5]) }, { kind: 'data', values: 10, encoding: 8, body: new Uint8Array([3, 20, 0]) }] }));
    expect(e!.page).to.equal(0);
    expect(e!.reason).to.match(/^its dictionary page declares 100000000 bytes uncompressed and 5 values \(40 bytes decoded\), more than maxBatchBytes \(16777216\) lets one page take in memory; raise maxBatchBytes to at least 100000000/);
  });

  it('a page claiming more values than its bytes can hold, in a row group of a billion rows (read in slices)', async () => {
    const [e] = await refusals('lying-page', craftedParquet({ rows: 1_000_000_000, codec: 0, pages: [{ kind: 'data', values: 1_000_000_000, body: int32s([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) }] }));
    expect(e!.page).to.equal(0);
    expect(e!.reason).to.equal('page declares 1000000000 PLAIN values of 4 bytes but holds 40 bytes; the file is corrupt');
  });

  it('a page declaring more rows than its row group has', async () => {
    const [e] = await refusals('too-many-rows', craftedParquet({ rows: 10, codec: 0, pages: [{ kind: 'data', values: 5, body: int32s([1, 2, 3, 4, 5]) }, { kind: 'data', values: 1000, uncompressed: 4000, body: new Uint8Array(4000) }] }));
    expect(e!.page).to.equal(1);
    expect(e!.reason).to.equal('page declares 1000 rows but the row group has only 5 left; the file is corrupt');
  });

  it('a page header cut by the end of a 1 MiB walk window is read from the next window (60,000 pages of one value, read in slices)', async () => {
    // Pages of one value each; the first page's value count shifts the layout until a header, not a body,
    // spans byte 4 + 1 MiB, where the first window of the walk ends.
    const rows = 60_000;
    const windowEnd = 4 + 2 ** 20;
    let file: Uint8Array | null = null;
    for (let first = 1; !file && first <= 4; first++) {
      const pages = [{ kind: 'data' as const, values: first, body: int32s(Array.from({ length: first }, (_, i) => i)) }];
      for (let v = first; v < rows; v++) pages.push({ kind: 'data', values: 1, body: int32s([v]) });
      const candidate = craftedParquet({ rows, codec: 0, pages });
      const view = new DataView(candidate.buffer, candidate.byteOffset, candidate.byteLength);
      for (let at = 4; at < windowEnd; ) {
        const reader = { view, offset: at };
        const header = parquetHeader(reader);
        if (at < windowEnd && windowEnd < reader.offset) file = candidate;
        at = reader.offset + header.compressed_page_size;
      }
    }
    expect(file, 'a layout with a header across the window end').to.not.equal(null);
    const path = join(tmp(), 'many-pages.parquet');
    writeFileSync(path, file!);
    unitSettings.rows = 7_000;
    try {
      const batches = await collect(await makeBatchReader(path, { workers: 0, batchSize: 9_999 }));
      const x = batches.flatMap((b) => Array.from(b.columns.x as Int32Array));
      expect(x.length).to.equal(rows);
      expect(x.every((v, i) => v === i)).to.equal(true);
    } finally {
      delete unitSettings.rows;
    }
    expect(await duck(`SELECT count(*)::INTEGER AS n, sum(x)::BIGINT::DOUBLE AS s FROM read_parquet(${lit(path)})`)).to.deep.equal([{ n: rows, s: (rows * (rows - 1)) / 2 }]);
  });

  it('reads the same crafted layout when its headers tell the truth (the files above differ from a good one in their headers only)', async () => {
    const path = join(tmp(), 'good.parquet');
    writeFileSync(path, craftedParquet({ rows: 10, codec: 0, pages: [{ kind: 'data', values: 10, body: int32s([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) }] }));
    const batches = await collect(await makeBatchReader(path, { workers: 0 }));
    expect(Array.from(batches[0]!.columns.x as Int32Array)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await duck(`SELECT sum(x)::INTEGER AS s FROM read_parquet(${lit(path)})`)).to.deep.equal([{ s: 55 }]);
  });
});

describe('a 10,000,000-row row group: memory bounded by maxBatchBytes, the first batch before the row group is decoded', function () {
  this.timeout(180_000);
  const tmp = useTmpDir();

  it('reads every value DuckDB reads, its first batch after one slice, with a peak growth set by maxBatchBytes, not by the row group', async () => {
    const dir = join(tmp(), 'big');
    mkdirSync(dir);
    const rows = 10_000_000;
    // Uncompressed pages of up to 100 MB, as DuckDB writes them: streamed a few MB at a time.
    await duck(`COPY (SELECT (TIMESTAMP '2024-01-01' + to_seconds(i)) AS ts, sin(i / 1000.0)::FLOAT AS a, cos(i / 777.0)::DOUBLE AS b FROM range(${rows}) t(i))
      TO ${lit(join(dir, 'one.parquet'))} (FORMAT PARQUET, ROW_GROUP_SIZE ${rows}, COMPRESSION uncompressed)`);
    const [expected] = await duck(`SELECT count(*)::INTEGER AS rows, sum(epoch_ms(ts))::DOUBLE AS ts, sum(a)::DOUBLE AS a, sum(b)::DOUBLE AS b FROM read_parquet(${lit(join(dir, 'one.parquet'))})`);
    const read = async (maxBatchBytes: number) => {
      const child = await ScriptChild.start('big-row-group-child.ts', [dir, JSON.stringify({ workers: 0, maxBatchBytes })]);
      const exit = await child.exited;
      expect(exit.code, child.stderr).to.equal(0);
      return JSON.parse(child.lines.join('')) as { rows: number; sums: Record<string, number>; firstBatchDecoded: number; growth: number };
    };
    const bounded = await read(4 * 2 ** 20);
    // The whole row group at once: a bound of 256 MiB reads row groups of up to 33,554,432 rows whole.
    const wide = await read(256 * 2 ** 20);
    for (const r of [bounded, wide]) {
      expect(r.rows).to.equal(rows);
      for (const c of ['ts', 'a', 'b']) expect(r.sums[c]! / (expected![c] as number), c).to.be.closeTo(1, 1e-9);
    }
    // The first batch came after a few slices of 262,144 rows were decoded (the first, and the two read
    // ahead of it), not the 10,000,000; read whole, after all of them.
    expect(bounded.firstBatchDecoded).to.be.oneOf([262_144, 524_288, 786_432]);
    expect(wide.firstBatchDecoded).to.equal(rows);
    console.log(`      peak RSS growth: ${(bounded.growth / 2 ** 20).toFixed(0)} MiB with maxBatchBytes 4 MiB, ${(wide.growth / 2 ** 20).toFixed(0)} MiB with 256 MiB (the row group decodes to ${((rows * 20) / 2 ** 20).toFixed(0)} MiB)`);
    expect(bounded.growth).to.be.below(wide.growth / 2);
    expect(bounded.growth).to.be.below(rows * 20);
  });
});
