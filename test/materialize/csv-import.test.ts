import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitcoinSchema, COINGECKO_EXPORT_LAYOUT } from '../../src/forecasting/index.js';
import { CsvError, type ImportCsvOptions, SchemaError, StoreError, importCsv as importAny, openStore } from '../../src/index.js';
import { duck, lit } from '../duckdb.js';
import { sharedData } from '../shared-data.js';
import { useTmpDir } from '../tmp-dir.js';

const EXPORT = 'coingecko_btc-usd-max_2013-04-28_2026-01-13.csv';

/** The price files of these tests: BitcoinSchema, whose CSV is the collector's or CoinGecko's export. */
const importCsv = (csv: string, store: string, options: ImportCsvOptions = {}) => importAny(csv, store, BitcoinSchema, { layouts: [COINGECKO_EXPORT_LAYOUT], ...options });

function caughtAsync(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('importCsv', () => {
  const tmp = useTmpDir();

  it('materializes the real CoinGecko export (4,642 rows) so that DuckDB reads the same rows', async function () {
    const csv = sharedData(this, 'btc', 'daily', EXPORT);
    const store = join(tmp(), 'btc');
    const result = await importCsv(csv, store, { rowGroupSize: 1000 });
    expect(result).to.deep.include({ numRows: 4642, rowGroups: 5, layout: 'coingecko-export', skipped: 0 });

    // Expected values straight from the CSV text, parsed independently of the SDK.
    const lines = readFileSync(csv, 'utf8').trim().split('\n').slice(1);
    const expected = lines.map((l) => {
      const [snapped, price, cap, vol] = l.split(',');
      return { ts: Date.parse(snapped!.replace(' UTC', 'Z').replace(' ', 'T')), price: Number(price), cap: Number(cap), vol: Number(vol) };
    });
    const rows = await duck(`select epoch_ms(timestamp) ts, price_usd, market_cap, total_volume, price_change_24h from read_parquet(${lit(join(store, 'part-*.parquet'))}) order by timestamp`);
    expect(rows.length).to.equal(4642);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      const e = expected[i]!;
      expect(Number(r.ts), `line ${i + 2}`).to.equal(e.ts);
      expect(r.price_usd, `line ${i + 2}`).to.equal(Math.fround(e.price));
      expect(r.market_cap).to.equal(e.cap);
      expect(r.total_volume).to.equal(e.vol);
      expect(r.price_change_24h).to.equal(null);
    }
    // The non-midnight snapshot of 2017-06-06 23:29:55 survives with its seconds.
    expect(rows.some((r) => Number(r.ts) === Date.UTC(2017, 5, 6, 23, 29, 55))).to.equal(true);
    // DuckDB reads both summary files: _metadata's row count and row groups, _common_metadata's schema.
    expect((await duck(`select count(*) n from read_parquet(${lit(join(store, '_metadata'))})`))[0]).to.deep.equal({ n: 4642n });
    const rg = await duck(`select count(distinct row_group_id) n from parquet_metadata(${lit(join(store, '_metadata'))})`);
    expect(rg[0]).to.deep.equal({ n: 5n });
    const schema = await duck(`select name, duckdb_type from parquet_schema(${lit(join(store, '_common_metadata'))}) where duckdb_type is not null`);
    expect(schema.map((s) => `${s.name}:${s.duckdb_type}`)).to.deep.equal([
      'timestamp:TIMESTAMP WITH TIME ZONE',
      'price_usd:FLOAT',
      'market_cap:DOUBLE',
      'price_change_24h:FLOAT',
      'total_volume:DOUBLE',
    ]);
  });

  it('reads the CRLF, hand-merged export (5,677 rows)', async function () {
    const csv = sharedData(this, 'btc', 'daily', 'coingecko-merged_btc-usd-max_with-pre2013_2010-07-18_2026-01-31.csv');
    const result = await importCsv(csv, join(tmp(), 's'));
    expect(result.numRows).to.equal(5677);
    const first = await duck(`select price_usd from read_parquet(${lit(join(tmp(), 's', 'part-*.parquet'))}) order by timestamp limit 1`);
    expect(first[0]!.price_usd).to.equal(Math.fround(0.09));
  });

  it('stops at the empty quoted price on the last line of the relabelled export, naming file, line and field', async function () {
    const csv = sharedData(this, 'btc', 'daily', 'coingecko-derived_btc-usd-max_renamed-dayshifted_2013-04-28_2026-07-19.csv');
    // Its header is renamed, so give the mapping a schema-named header: copy with the header replaced.
    const text = readFileSync(csv, 'utf8').split('\n');
    text[0] = 'timestamp,price_usd,market_cap,total_volume';
    const fixed = join(tmp(), 'derived.csv');
    writeFileSync(fixed, text.join('\n'));
    const err = (await caughtAsync(importCsv(fixed, join(tmp(), 's')))) as SchemaError;
    expect(err).to.be.instanceOf(SchemaError);
    expect(err.message).to.equal(
      `importCsv: ${fixed}:4829: field "price_usd" (float32) is empty (the field is not nullable); fix the line, or pass skipInvalid (--skip-invalid) to write the good rows and report this one`,
    );
    expect([err.line, err.field]).to.deep.equal([4829, 'price_usd']);
    expect(existsSync(join(tmp(), 's', '_metadata'))).to.equal(false);
    const skipped = await importCsv(fixed, join(tmp(), 's'), { skipInvalid: true });
    expect(skipped).to.deep.include({ numRows: 4827, skipped: 1 });
    expect(skipped.skippedLines).to.deep.equal([{ line: 4829, reason: 'field "price_usd" (float32) is empty (the field is not nullable)' }]);
  });

  it('refuses a header it does not know, listing the layouts it reads', async function () {
    const csv = sharedData(this, 'btc', 'daily', 'kaggle-cmc_coin_Bitcoin_excel-resaved_2013-04-29_2021-02-27.csv');
    const err = await caughtAsync(importCsv(csv, join(tmp(), 's')));
    expect(err).to.be.instanceOf(CsvError);
    expect(err.message).to.match(/:1: unrecognised header "SNo,Name,Symbol,Date,High,Low,Open,Close,Volume,Marketcap"; expected "timestamp,price_usd,market_cap,price_change_24h,total_volume" \(the schema's field names; nullable columns may be left out\) or "snapped_at,price,market_cap,total_volume" \(coingecko-export\)/);
  });

  it("reads the collector's CSV exactly, with empty cells as null", async () => {
    const csv = join(tmp(), 'collector.csv');
    writeFileSync(
      csv,
      'timestamp,price_usd,market_cap,price_change_24h,total_volume\n' +
        '2024-01-01T00:00:00.000Z,42261.04,827000000000.5,,14300000000\n' +
        '2024-01-01T01:00:00.000Z,42300.5,827100000000,-0.125,\n',
    );
    const r = await importCsv(csv, join(tmp(), 's'));
    expect(r.layout).to.equal('schema');
    const rows = await duck(`select epoch_ms(timestamp) ts, * exclude (timestamp) from read_parquet(${lit(join(tmp(), 's', 'part-*.parquet'))}) order by 1`);
    expect(rows).to.deep.equal([
      { ts: 1704067200000n, price_usd: Math.fround(42261.04), market_cap: 827000000000.5, price_change_24h: null, total_volume: 14300000000 },
      { ts: 1704070800000n, price_usd: Math.fround(42300.5), market_cap: 827100000000, price_change_24h: -0.125, total_volume: null },
    ]);
  });

  it('reads BOM, CRLF, quoted fields, scientific notation and reordered columns', async () => {
    const csv = join(tmp(), 'odd.csv');
    writeFileSync(csv, '\uFEFFprice,snapped_at,total_volume,market_cap\r\n"1.5E+4",2020-01-01 00:00:00 UTC,"1,0",2e11\r\n16000,2020-01-02 00:00:00 UTC,,3.5e11\r\n');
    // "1,0" is one quoted field, which is not a number: the import says so for that line.
    const err = (await caughtAsync(importCsv(csv, join(tmp(), 's')))) as SchemaError;
    expect(err.message).to.match(/odd\.csv:2: field "total_volume" \(float64, nullable\): cannot parse "1,0" as float64/);
    writeFileSync(csv, '\uFEFFprice,snapped_at,total_volume,market_cap\r\n"1.5E+4",2020-01-01 00:00:00 UTC,"10",2e11\r\n16000,2020-01-02 00:00:00 UTC,,3.5e11\r\n');
    await importCsv(csv, join(tmp(), 's'));
    const rows = await duck(`select price_usd, market_cap, total_volume from read_parquet(${lit(join(tmp(), 's', 'part-*.parquet'))}) order by timestamp`);
    expect(rows).to.deep.equal([
      { price_usd: 15000, market_cap: 2e11, total_volume: 10 },
      { price_usd: 16000, market_cap: 3.5e11, total_volume: null },
    ]);
  });

  it('reports wrong column counts, bad numbers, bad timestamps and invalid UTF-8 by line under skipInvalid', async () => {
    const csv = join(tmp(), 'bad.csv');
    const good = (d: number) => `2024-01-0${d}T00:00:00Z,100,200,1,2`;
    const body = [
      'timestamp,price_usd,market_cap,price_change_24h,total_volume',
      good(1),
      '2024-01-02T00:00:00Z,100,200,1',
      '2024-01-03T00:00:00Z,abc,200,1,2',
      '2024-13-01T00:00:00Z,100,200,1,2',
      good(5),
      '2024-01-06T00:00:00Z,1e39,200,1,2',
      '2024-01-07T00:00:00Z,NaN,200,1,2',
    ].join('\n');
    const bytes = Buffer.concat([Buffer.from(`${body}\n2024-01-08T00:00:00Z,100,200,1,2\n`), Buffer.from('2024-01-09T00:00:00Z,100,200,1,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n'), Buffer.from(`${good(9)}\n`)]);
    writeFileSync(csv, bytes);
    const first = (await caughtAsync(importCsv(csv, join(tmp(), 's')))) as SchemaError;
    expect(first.message).to.match(/bad\.csv:3: has 4 columns, the header has 5/);
    const r = await importCsv(csv, join(tmp(), 's'), { skipInvalid: true });
    expect(r.numRows).to.equal(4);
    expect(r.skippedLines.map((s) => s.line)).to.deep.equal([3, 4, 5, 7, 8, 10]);
    expect(r.skippedLines.map((s) => s.reason)).to.deep.equal([
      'has 4 columns, the header has 5',
      'field "price_usd" (float32): cannot parse "abc" as float32',
      'field "timestamp" (timestamp): cannot parse "2024-13-01T00:00:00Z" as a UTC timestamp',
      'field "price_usd" (float32) is outside the float32 range (±3.4028234663852886e+38); received "1e39"',
      'field "price_usd" (float32): cannot parse "NaN" as float32',
      'field "total_volume" (float64, nullable) is not valid UTF-8 text',
    ]);
  });

  it('fails clearly on a missing file and on an empty one, creating no store', async () => {
    const missing = (await caughtAsync(importCsv(join(tmp(), 'nope.csv'), join(tmp(), 's')))) as CsvError;
    expect(missing).to.be.instanceOf(CsvError);
    expect(missing.message).to.match(/nope\.csv: file not found/);
    writeFileSync(join(tmp(), 'empty.csv'), '');
    const empty = await caughtAsync(importCsv(join(tmp(), 'empty.csv'), join(tmp(), 's')));
    expect(empty.message).to.match(/empty\.csv: the file is empty; expected a header/);
    expect(existsSync(join(tmp(), 's', '_metadata'))).to.equal(false);
  });

  it('appends a second CSV to the store and refuses to create over it', async function () {
    const csv = sharedData(this, 'btc', 'daily', EXPORT);
    const store = join(tmp(), 's');
    await importCsv(csv, store);
    expect(await caughtAsync(importCsv(csv, store))).to.be.instanceOf(StoreError);
    const collector = join(tmp(), 'c.csv');
    writeFileSync(collector, 'timestamp,price_usd,market_cap,price_change_24h,total_volume\n2026-01-14T00:00:00Z,95000,1.9e12,0.5,3e10\n');
    const r = await importCsv(collector, store, { mode: 'append' });
    expect(r.storeRows).to.equal(4643);
    expect((await openStore(store)).files.length).to.equal(2);
  });
});
