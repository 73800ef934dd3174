import * as arrow from 'apache-arrow';
import { expect } from 'chai';
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitcoinSchema } from '../../src/forecasting/index.js';
import { ConfigError, SchemaError, StoreError, decodeNpy, defineSchema, materializeDataset, openStore } from '../../src/index.js';
import { duck, lit } from '../duckdb.js';
import { useTmpDir } from '../tmp-dir.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function btcRows(n: number, from = 0) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      timestamp: T0 + i * HOUR,
      price_usd: 40_000 + i * 0.37,
      market_cap: 8e11 + i * 1234.5678,
      price_change_24h: i % 3 === 0 ? null : (i % 17) - 8.25,
      total_volume: i % 5 === 0 ? null : 1.5e10 + i,
    };
  });
}

const AllTypes = defineSchema('AllTypes', [
  { name: 'i32', dtype: 'int32' },
  { name: 'i64', dtype: 'int64' },
  { name: 'u8', dtype: 'uint8' },
  { name: 'f32', dtype: 'float32' },
  { name: 'f64', dtype: 'float64' },
  { name: 'b', dtype: 'bool', nullable: true },
  { name: 's', dtype: 'string', nullable: true },
  { name: 'ts', dtype: 'timestamp' },
  { name: 'n_i32', dtype: 'int32', nullable: true },
  { name: 'm', dtype: 'float32', shape: [2, 3] },
  { name: 'v', dtype: 'int64', shape: [null], nullable: true },
]);

function allTypesRow(i: number) {
  return {
    i32: -1000 + i,
    i64: 2n ** 40n + BigInt(i),
    u8: i % 256,
    f32: i / 8,
    f64: Math.PI * i,
    b: i % 3 === 0 ? null : i % 2 === 0,
    s: i % 4 === 0 ? null : `row-${i}-ü`,
    ts: new Date(T0 + i * 1000),
    n_i32: i % 5 === 0 ? null : i * 7,
    m: { shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, k) => i + k / 10) },
    v: i % 6 === 0 ? null : { shape: [i % 4], data: BigInt64Array.from({ length: i % 4 }, (_, k) => BigInt(i * k)) },
  };
}

describe('materializeDataset', () => {
  const tmp = useTmpDir();

  it('writes every dtype and the ndarray codec so that DuckDB reads back the same values', async () => {
    const store = join(tmp(), 'all');
    const rows = Array.from({ length: 50 }, (_, i) => allTypesRow(i));
    const result = await materializeDataset(store, AllTypes, rows, { rowGroupSize: 16 });
    expect(result).to.deep.include({ numRows: 50, rowGroups: 4, storeRows: 50 });
    const got = await duck(`select * from read_parquet(${lit(join(store, 'part-*.parquet'))}) order by i32`);
    expect(got.length).to.equal(50);
    for (let i = 0; i < 50; i++) {
      const r = got[i]!;
      const want = rows[i]!;
      expect([r.i32, r.i64, r.u8, r.f32, r.f64, r.b, r.s, r.n_i32]).to.deep.equal([want.i32, want.i64, want.u8, Math.fround(want.f32), want.f64, want.b, want.s, want.n_i32]);
      expect((r.ts as Date).getTime()).to.equal(want.ts.getTime());
      const m = decodeNpy(r.m as Uint8Array);
      expect(m.value.shape).to.deep.equal([2, 3]);
      expect([...m.value.data]).to.deep.equal([...want.m.data]);
      if (want.v === null) expect(r.v).to.equal(null);
      else expect([...decodeNpy(r.v as Uint8Array).value.data]).to.deep.equal([...want.v.data]);
    }
    const types = await duck(`select name, type, repetition_type, logical_type from parquet_schema(${lit(join(store, '_common_metadata'))}) where name in ('ts', 'u8', 'i32', 'b')`);
    expect(types.map((t) => [t.name, t.type, t.repetition_type])).to.deep.equal([
      ['i32', 'INT32', 'REQUIRED'],
      ['u8', 'INT32', 'REQUIRED'],
      ['b', 'BOOLEAN', 'OPTIONAL'],
      ['ts', 'INT64', 'REQUIRED'],
    ]);
    expect(String(types.find((t) => t.name === 'ts')!.logical_type)).to.match(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS/);
  });

  it('splits rows into row groups and part files, and writes _metadata listing every row group with its file', async () => {
    const store = join(tmp(), 's');
    const result = await materializeDataset(store, BitcoinSchema, btcRows(2500), { rowGroupSize: 300, maxRowsPerFile: 900 });
    // 900-row files of three 300-row groups: 900 + 900 + 700 (300 + 300 + 100).
    expect(result.files.length).to.equal(3);
    expect(result.rowGroups).to.equal(9);
    expect(readdirSync(store).sort()).to.deep.equal(['_common_metadata', '_metadata', ...result.files].sort());
    const meta = await duck(`select file_name, row_group_id, row_group_num_rows from parquet_metadata(${lit(join(store, '_metadata'))}) where column_id = 0 order by row_group_id`);
    expect(meta.map((m) => Number(m.row_group_num_rows))).to.deep.equal([300, 300, 300, 300, 300, 300, 300, 300, 100]);
    expect(Number((await duck(`select count(*) n from read_parquet(${lit(join(store, '_metadata'))})`))[0]!.n)).to.equal(2500);
    const info = await openStore(store);
    expect(info.summary).to.equal('metadata');
    expect(info.files.map((f) => [f.path, f.numRows])).to.deep.equal([
      [result.files[0], 900],
      [result.files[1], 900],
      [result.files[2], 700],
    ]);
    expect(info.rowGroups[3]!.stats.timestamp).to.deep.equal({ min: T0 + 900 * HOUR, max: T0 + 1199 * HOUR, nullCount: 0 });
    // The same picture from the part footers when _metadata is gone.
    rmSync(join(store, '_metadata'));
    const fromFooters = await openStore(store);
    expect(fromFooters.summary).to.equal('footers');
    expect(fromFooters.rowGroups).to.deep.equal(info.rowGroups);
    expect(fromFooters.schema!.toJSON()).to.deep.equal(BitcoinSchema.toJSON());
  });

  it('stores the schema as JSON in every part footer and in _common_metadata', async () => {
    const store = join(tmp(), 's');
    await materializeDataset(store, BitcoinSchema, btcRows(10));
    const kv = await duck(`select file_name, decode(key) k, decode(value) v from parquet_kv_metadata(${lit(join(store, '*'))}) where decode(key) = 'tfjs-parquet-loader.schema.v1'`);
    expect(kv.map((r) => String(r.file_name).split('/').pop()!.replace(/part-.*/, 'part')).sort()).to.deep.equal(['_common_metadata', '_metadata', 'part']);
    for (const r of kv) expect(JSON.parse(r.v as string)).to.deep.equal(BitcoinSchema.toJSON());
    expect(Number((await duck(`select count(*) n from parquet_metadata(${lit(join(store, '_common_metadata'))})`))[0]!.n)).to.equal(0);
  });

  it('accepts an Arrow Table, a column batch and an async iterable of rows', async () => {
    const rows = btcRows(100);
    const table = new arrow.Table({
      timestamp: arrow.vectorFromArray(rows.map((r) => new Date(r.timestamp)), new arrow.TimestampMillisecond()),
      price_usd: arrow.makeVector(Float32Array.from(rows, (r) => r.price_usd)),
      market_cap: arrow.makeVector(Float64Array.from(rows, (r) => r.market_cap)),
      price_change_24h: arrow.vectorFromArray(rows.map((r) => r.price_change_24h), new arrow.Float32()),
      total_volume: arrow.vectorFromArray(rows.map((r) => r.total_volume), new arrow.Float64()),
    });
    await materializeDataset(join(tmp(), 'a'), BitcoinSchema, table);
    const batch = {
      numRows: 100,
      columns: {
        timestamp: Float64Array.from(rows, (r) => r.timestamp),
        price_usd: Float32Array.from(rows, (r) => r.price_usd),
        market_cap: Float64Array.from(rows, (r) => r.market_cap),
        price_change_24h: Float32Array.from(rows, (r) => r.price_change_24h ?? NaN),
        total_volume: Float64Array.from(rows, (r) => r.total_volume ?? NaN),
      },
    };
    await materializeDataset(join(tmp(), 'b'), BitcoinSchema, batch);
    await materializeDataset(join(tmp(), 'c'), BitcoinSchema, (async function* () {
      yield* rows;
    })());
    const read = (name: string) => duck(`select * from read_parquet(${lit(join(tmp(), name, 'part-*.parquet'))}) order by timestamp`);
    const a = await read('a');
    expect(a.length).to.equal(100);
    expect(a[4]).to.deep.equal({ ...a[4], price_change_24h: Math.fround(rows[4]!.price_change_24h!), total_volume: rows[4]!.total_volume });
    expect(a[0]!.price_change_24h).to.equal(null);
    expect(await read('b')).to.deep.equal(a);
    expect(await read('c')).to.deep.equal(a);
  });

  it('rejects an Arrow column of the wrong type, naming the field', async () => {
    const table = new arrow.Table({ timestamp: arrow.makeVector(new Float64Array([T0])), price_usd: arrow.makeVector(new Float64Array([1])), market_cap: arrow.makeVector(new Int32Array([1])) });
    try {
      await materializeDataset(join(tmp(), 'x'), BitcoinSchema, table);
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(SchemaError);
      expect((err as Error).message).to.match(/field "market_cap" \(float64\) column must be a Float64Array; received Int32Array/);
    }
  });

  it('appends new parts, continues the part numbering and keeps earlier rows', async () => {
    const store = join(tmp(), 's');
    const first = await materializeDataset(store, BitcoinSchema, btcRows(100), { rowGroupSize: 64 });
    const second = await materializeDataset(store, BitcoinSchema, btcRows(50, 100), { mode: 'append', rowGroupSize: 64 });
    expect(first.files[0]).to.match(/^part-00000-[0-9a-f-]{36}\.parquet$/);
    expect(second.files[0]).to.match(/^part-00001-/);
    expect(second.storeRows).to.equal(150);
    const got = await duck(`select count(*) n, count(distinct timestamp) d from read_parquet(${lit(join(store, 'part-*.parquet'))})`);
    expect(got[0]).to.deep.equal({ n: 150n, d: 150n });
    // DuckDB answers a count from _metadata alone (it reads no data through file_path references).
    expect((await duck(`select count(*) n from read_parquet(${lit(join(store, '_metadata'))})`))[0]).to.deep.equal({ n: 150n });
    expect((await openStore(store)).rowGroups.map((rg) => rg.numRows)).to.deep.equal([64, 36, 50]);
  });

  it('refuses to create over an existing store, and overwrite replaces every old part', async () => {
    const store = join(tmp(), 's');
    const first = await materializeDataset(store, BitcoinSchema, btcRows(100));
    try {
      await materializeDataset(store, BitcoinSchema, btcRows(10));
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(StoreError);
      expect((err as Error).message).to.match(/already holds 100 rows in 1 files; pass mode 'append' to add rows or 'overwrite' to replace them/);
    }
    const second = await materializeDataset(store, BitcoinSchema, btcRows(7, 1000), { mode: 'overwrite' });
    expect(existsSync(join(store, first.files[0]!))).to.equal(false);
    expect(readdirSync(store).filter((f) => f.startsWith('part-'))).to.deep.equal(second.files);
    const info = await openStore(store);
    expect(info.numRows).to.equal(7);
    expect(info.rowGroups[0]!.stats.timestamp!.min).to.equal(T0 + 1000 * HOUR);
  });

  it('refuses to append rows of another schema and lists every difference', async () => {
    const store = join(tmp(), 's');
    await materializeDataset(store, BitcoinSchema, btcRows(10));
    const Other = defineSchema('Other', [
      { name: 'timestamp', dtype: 'timestamp' },
      { name: 'price_usd', dtype: 'float64' },
      { name: 'market_cap', dtype: 'float64' },
      { name: 'price_change_24h', dtype: 'float32', nullable: true },
    ]);
    try {
      await materializeDataset(store, Other, [{ timestamp: T0, price_usd: 1, market_cap: 2, price_change_24h: null }], { mode: 'append' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(SchemaError);
      expect((err as Error).message).to.equal(
        `materializeDataset: cannot append to ${store}: schema Other differs from the store's BitcoinSchema:\n` +
          '  - field "price_usd": store has float32, new data has float64\n' +
          '  - field "total_volume" (float64 nullable) is missing',
      );
    }
    expect((await openStore(store)).numRows).to.equal(10);
  });

  it('commits nothing when a row in the middle of the input is bad, and leaves no files behind', async () => {
    const store = join(tmp(), 's');
    await materializeDataset(store, BitcoinSchema, btcRows(100), { rowGroupSize: 10 });
    const before = readdirSync(store).sort();
    const rows: Record<string, unknown>[] = btcRows(250, 100);
    rows[237] = { ...rows[237], price_usd: NaN };
    try {
      await materializeDataset(store, BitcoinSchema, rows, { mode: 'append', rowGroupSize: 10, maxRowsPerFile: 50 });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(SchemaError);
      expect((err as SchemaError).row).to.equal(237);
      expect((err as Error).message).to.match(/row 237: field "price_usd" \(float32\) must be a finite number; received NaN/);
    }
    expect(readdirSync(store).sort()).to.deep.equal(before);
    expect((await openStore(store)).numRows).to.equal(100);
  });

  it('sorts the rows of a call by sortBy', async () => {
    const store = join(tmp(), 's');
    await materializeDataset(store, BitcoinSchema, btcRows(500).reverse(), { sortBy: 'timestamp', rowGroupSize: 128 });
    const info = await openStore(store);
    const ranges = info.rowGroups.map((rg) => [rg.stats.timestamp!.min, rg.stats.timestamp!.max]);
    expect(ranges[0]).to.deep.equal([T0, T0 + 127 * HOUR]);
    expect(ranges[3]).to.deep.equal([T0 + 384 * HOUR, T0 + 499 * HOUR]);
  });

  it('sorts by several fields, the first one first (series, then time), stable, nulls last', async () => {
    const Ticks = defineSchema('Ticks', [
      { name: 'coin', dtype: 'string' },
      { name: 'vs', dtype: 'string', nullable: true },
      { name: 'timestamp', dtype: 'timestamp' },
      { name: 'seq', dtype: 'int32' },
    ]);
    // A collector's layout: every coin and quote at each tick, coins in a different order at each tick.
    const coins = ['solana', 'bitcoin', 'ethereum'];
    const rows: { coin: string; vs: string | null; timestamp: number; seq: number }[] = [];
    for (let i = 0; i < 40; i++) {
      for (const c of i % 2 ? coins : [...coins].reverse()) for (const vs of ['usd', null, 'eur']) rows.push({ coin: c, vs, timestamp: T0 + Math.floor(i / 2) * HOUR, seq: rows.length });
    }
    const store = join(tmp(), 'ticks');
    await materializeDataset(store, Ticks, rows, { sortBy: ['coin', 'vs', 'timestamp'], rowGroupSize: 50 });
    const got = await duck(`SELECT coin, vs, epoch_ms(timestamp)::DOUBLE AS t, seq FROM read_parquet(${lit(join(store, '*.parquet'))})`);
    const rank = (v: string | null) => (v === null ? '\uffff' : v);
    const expected = [...rows].sort((a, b) => (a.coin < b.coin ? -1 : a.coin > b.coin ? 1 : 0) || (rank(a.vs) < rank(b.vs) ? -1 : rank(a.vs) > rank(b.vs) ? 1 : 0) || a.timestamp - b.timestamp || a.seq - b.seq);
    expect(got.map((r) => [r.coin, r.vs, r.t, r.seq])).to.deep.equal(expected.map((r) => [r.coin, r.vs, r.timestamp, r.seq]));
    expect(got[0]).to.include({ coin: 'bitcoin', vs: 'eur' });
    expect(got[119]).to.include({ coin: 'bitcoin', vs: null });
  });

  it('validates options before touching the disk, listing valid values', async () => {
    const store = join(tmp(), 'never');
    const cases: [object, RegExp][] = [
      [{ compression: 'gzip' }, /materializeDataset: compression must be one of "zstd", "snappy", "none"; received "gzip"/],
      [{ mode: 'upsert' }, /materializeDataset: mode must be one of "create", "append", "overwrite"; received "upsert"/],
      [{ rowGroupSize: 0 }, /materializeDataset: rowGroupSize must be >= 1; received 0/],
      [{ sortBy: 'price' }, /sortBy must name scalar fields of BitcoinSchema \(timestamp, price_usd/],
      [{ sortBy: ['timestamp', 'price'] }, /sortBy must name scalar fields of BitcoinSchema \(timestamp, price_usd.*received "price"/],
      [{ sortBy: [] }, /sortBy/],
      [{ rowGroupSize: 100, maxRowsPerFile: 10 }, /maxRowsPerFile \(10\) must be >= rowGroupSize \(100\)/],
      [{ rowGroupsize: 10 }, /unknown option "rowGroupsize"; valid options: rowGroupSize, maxRowsPerFile, compression, mode, sortBy, lockTimeoutMs/],
    ];
    for (const [options, message] of cases) {
      try {
        await materializeDataset(store, BitcoinSchema, btcRows(1), options);
        expect.fail('should throw');
      } catch (err) {
        expect(err, JSON.stringify(options)).to.be.instanceOf(ConfigError);
        expect((err as Error).message).to.match(message);
      }
    }
    expect(existsSync(store)).to.equal(false);
  });

  it('serialises concurrent appenders with the store lock: no rows lost', async () => {
    const store = join(tmp(), 's');
    await materializeDataset(store, BitcoinSchema, btcRows(10));
    await Promise.all([0, 1, 2, 3].map((k) => materializeDataset(store, BitcoinSchema, btcRows(25, 100 * (k + 1)), { mode: 'append' })));
    const info = await openStore(store);
    expect(info.numRows).to.equal(110);
    expect(info.files.length).to.equal(5);
    expect(new Set(info.files.map((f) => f.path.slice(0, 10))).size).to.equal(5);
    expect(existsSync(join(store, '_tfpl.lock'))).to.equal(false);
  });

  it('takes over a lock left by a dead process, and waits out a live one with a clear error', async () => {
    const store = join(tmp(), 's');
    await materializeDataset(store, BitcoinSchema, btcRows(5));
    const { hostname } = await import('node:os');
    writeFileSync(join(store, '_tfpl.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: '2020-01-01T00:00:00Z' }));
    await materializeDataset(store, BitcoinSchema, btcRows(5, 5), { mode: 'append' });
    writeFileSync(join(store, '_tfpl.lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: '2020-01-01T00:00:00Z' }));
    try {
      await materializeDataset(store, BitcoinSchema, btcRows(5, 10), { mode: 'append', lockTimeoutMs: 50 });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(StoreError);
      expect((err as Error).message).to.match(new RegExp(`is locked by pid ${process.pid} on .* since 2020-01-01T00:00:00Z; wait for it to finish, or delete .*_tfpl.lock if no process is writing`));
    }
    rmSync(join(store, '_tfpl.lock'));
    expect((await openStore(store)).numRows).to.equal(10);
  });

  it('ignores and then removes parts that a crashed commit left outside _metadata', async () => {
    const store = join(tmp(), 's');
    const { files } = await materializeDataset(store, BitcoinSchema, btcRows(20));
    const orphan = 'part-00001-00000000-0000-4000-8000-000000000000.parquet';
    copyFileSync(join(store, files[0]!), join(store, orphan));
    writeFileSync(join(store, '.tfpl-tmp-part-00002-x.parquet.tmp'), 'half written');
    expect((await openStore(store)).numRows).to.equal(20);
    await materializeDataset(store, BitcoinSchema, btcRows(3, 20), { mode: 'append' });
    expect(readdirSync(store).filter((f) => f === orphan || f.startsWith('.tfpl-tmp'))).to.deep.equal([]);
    expect((await openStore(store)).numRows).to.equal(23);
  });
});
