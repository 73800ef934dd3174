import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { ParquetReadError } from '../../src/store/parquet-read-error.js';
import { openStore } from '../../src/index.js';
import type { ColumnBatch } from '../../src/schema/columns.js';
import { duck, lit } from '../duckdb.js';
import { sharedData } from '../shared-data.js';
import { collect } from './fixtures.js';

/** Files of data/ that are corrupt on purpose (repo README) and must fail with a ParquetReadError. */
const CORRUPT_IN_DATA = new Set(['nation.dict-malformed.parquet', 'uniform_encryption.parquet.encrypted', 'datapage_v1-corrupt-checksum.parquet', 'rle-dict-uncompressed-corrupt-checksum.parquet']);
/** bad_data/ files whose "defect" other readers accept: DuckDB reads the same rows, so must we. */
const READABLE_BAD = new Set(['ARROW-GH-43605.parquet']);

function column(batches: ColumnBatch[], name: string): unknown[] {
  return batches.flatMap((b) => Array.from(b.columns[name] as ArrayLike<unknown>));
}

async function rowsOf(path: string, workers = 0, verifyChecksums = true): Promise<{ batches: ColumnBatch[]; rows: number }> {
  const batches = await collect(await makeBatchReader(path, { workers, verifyChecksums }));
  return { batches, rows: batches.reduce((s, b) => s + b.numRows, 0) };
}

async function failure(path: string, workers = 0): Promise<unknown> {
  try {
    await rowsOf(path, workers);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('parquet-testing corpus', function () {
  this.timeout(60_000);

  it('reads every good file of data/ with the row count DuckDB reads', async function () {
    const dir = sharedData(this, 'parquet-testing', 'data');
    const files = readdirSync(dir).filter((f) => !f.endsWith('.csv') && !CORRUPT_IN_DATA.has(f));
    expect(files.length).to.be.greaterThan(40);
    for (const f of files) {
      const { rows } = await rowsOf(join(dir, f)).catch((err: Error) => {
        throw new Error(`${f}: ${err.message}`);
      });
      const [{ n }] = (await duck(`select count(*) n from read_parquet(${lit(join(dir, f))})`)) as [{ n: bigint }];
      // repeated_no_annotation: the footer says 0 rows; DuckDB counts from the footer, the pages hold 6.
      expect(rows, f).to.equal(f === 'repeated_no_annotation.parquet' ? 6 : Number(n));
    }
  });

  it('decodes values exactly: delta encodings against the _expect.csv files, INT96 and decimals', async function () {
    const dir = sharedData(this, 'parquet-testing', 'data');
    const csv = (name: string) => readFileSync(join(dir, name), 'utf8').trim().split('\n').map((l) => l.split(','));
    const dbp = (await rowsOf(join(dir, 'delta_binary_packed.parquet'))).batches;
    const expectDbp = csv('delta_binary_packed_expect.csv');
    const header = expectDbp[0]!;
    for (const [c, name] of header.entries()) {
      expect(column(dbp, name).map(String), name).to.deep.equal(expectDbp.slice(1).map((r) => r[c]));
    }
    const dba = (await rowsOf(join(dir, 'delta_byte_array.parquet'))).batches;
    const expectDba = csv('delta_byte_array_expect.csv');
    expect(column(dba, 'c_customer_id')).to.deep.equal(expectDba.slice(1).map((r) => JSON.parse(r[0]!)));
    const i96 = (await rowsOf(join(dir, 'int96_from_spark.parquet'))).batches;
    const micros = [1704141296123456, 1704070800000000, 253402225200000000, 1735599600000000, null, 9089380393200000000];
    expect(Array.from(i96[0]!.columns.a as Float64Array)).to.deep.equal(micros.map((u) => (u === null ? NaN : u / 1000)));
    for (const f of ['fixed_length_decimal.parquet', 'int32_decimal.parquet', 'int64_decimal.parquet', 'byte_array_decimal.parquet']) {
      expect(Array.from((await rowsOf(join(dir, f))).batches[0]!.columns.value as Float64Array), f).to.deep.equal(Array.from({ length: 24 }, (_, i) => i + 1));
    }
  });

  it('fails cleanly with a ParquetReadError naming the file for every corrupt file, on the main thread and in a worker', async function () {
    const bad = sharedData(this, 'parquet-testing', 'bad_data');
    const data = sharedData(this, 'parquet-testing', 'data');
    const paths = [...readdirSync(bad).filter((f) => !READABLE_BAD.has(f)).map((f) => join(bad, f)), ...[...CORRUPT_IN_DATA].map((f) => join(data, f))];
    for (const path of paths) {
      for (const workers of [0, 1]) {
        const err = await failure(path, workers);
        expect(err, `${path} workers ${workers}`).to.be.instanceOf(ParquetReadError);
        expect((err as ParquetReadError).file).to.equal(path);
        expect((err as Error).message.startsWith(path)).to.equal(true);
      }
    }
    const encrypted = (await failure(join(data, 'uniform_encryption.parquet.encrypted'))) as Error;
    expect(encrypted.message).to.match(/footer magic is "PARE".*encrypted/);
    const gh41317 = (await failure(join(bad, 'ARROW-GH-41317.parquet'))) as ParquetReadError;
    expect(gh41317.rowGroup).to.equal(0);
  });

  it('refuses the files with corrupt page CRCs naming column and page, and reads their valid siblings as DuckDB does', async function () {
    const dir = sharedData(this, 'parquet-testing', 'data');
    const corrupt: [string, string, number][] = [
      ['datapage_v1-corrupt-checksum.parquet', 'a', 0],
      ['rle-dict-uncompressed-corrupt-checksum.parquet', 'long_field', 0],
    ];
    for (const [f, column, page] of corrupt) {
      for (const workers of [0, 1]) {
        const err = (await failure(join(dir, f), workers)) as ParquetReadError;
        expect(err, f).to.be.instanceOf(ParquetReadError);
        expect([err.file, err.rowGroup, err.column, err.page], f).to.deep.equal([join(dir, f), 0, column, page]);
        expect(err.reason, f).to.match(/^page checksum mismatch at file byte \d+: CRC-32 of its data is [0-9a-f]{8}, its page header records [0-9a-f]{8}/);
      }
      // unchecked, the file reads as the other readers read it
      const [{ n }] = (await duck(`select count(*) n from read_parquet(${lit(join(dir, f))})`)) as [{ n: bigint }];
      expect((await rowsOf(join(dir, f), 0, false)).rows, f).to.equal(Number(n));
    }
    for (const f of ['datapage_v1-snappy-compressed-checksum.parquet', 'plain-dict-uncompressed-checksum.parquet', 'rle-dict-snappy-checksum.parquet']) {
      const { batches } = await rowsOf(join(dir, f));
      const rows = (await duck(`select * from read_parquet(${lit(join(dir, f))})`)) as Record<string, unknown>[];
      for (const name of Object.keys(batches[0]!.columns)) {
        const ours = column(batches, name).map((v) => (typeof v === 'bigint' ? Number(v) : v));
        // DuckDB returns the unannotated binary column as bytes; this SDK delivers it as text
        const theirs = rows.map((r) => r[name]).map((v) => (typeof v === 'bigint' ? Number(v) : Buffer.isBuffer(v) ? v.toString('utf8') : v));
        expect(ours, `${f} ${name}`).to.deep.equal(theirs);
      }
    }
  });

  it('reads the bad_data files that DuckDB also reads', async function () {
    const bad = sharedData(this, 'parquet-testing', 'bad_data');
    for (const f of READABLE_BAD) {
      const [{ n }] = (await duck(`select count(*) n from read_parquet(${lit(join(bad, f))})`)) as [{ n: bigint }];
      expect((await rowsOf(join(bad, f))).rows).to.equal(Number(n));
    }
  });

  it('reads only the metadata of the decompression bomb in hazardous/', async function () {
    const dir = sharedData(this, 'parquet-testing', 'hazardous');
    const ds = await openStore(join(dir, 'large_string_map.brotli.parquet'));
    expect(ds.rowGroups.length).to.equal(1);
    expect(ds.fields.map((f) => f.dtype)).to.deep.equal(['nested']);
  });
});
