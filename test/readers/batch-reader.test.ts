import { expect } from 'chai';
import { ConfigError, StoreError } from '../../src/errors.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { makeReader } from '../../src/readers/row-reader.js';
import type { ColumnBatch } from '../../src/schema/columns.js';
import { duck, lit } from '../duckdb.js';
import { collect, MINUTE, T0, useBtcStore } from './fixtures.js';

// 20 row groups of 1,000 rows in 4 files; price_usd = row index, timestamp = T0 + i minutes.
const ROWS = 20_000;

function ids(batches: ColumnBatch[]): number[] {
  return batches.flatMap((b) => Array.from(b.columns.price_usd as Float32Array));
}

describe('makeBatchReader', function () {
  this.timeout(60_000);
  const store = useBtcStore(ROWS, 1_000, 5_000);

  it('reads every row in store order with typed-array columns and NaN for nulls, equal to DuckDB', async () => {
    const reader = await makeBatchReader(store(), { workers: 0 });
    expect(reader.store.writer).to.equal('tfjs-parquet-loader');
    expect(reader.numRows).to.equal(ROWS);
    expect(reader.numRowGroups).to.equal(20);
    const batches = await collect(reader);
    expect(batches.map((b) => b.numRows)).to.deep.equal(new Array(20).fill(1_000));
    const b = batches[3]!;
    expect(b.columns.timestamp).to.be.instanceOf(Float64Array);
    expect(b.columns.price_usd).to.be.instanceOf(Float32Array);
    expect(b.columns.price_change_24h).to.be.instanceOf(Float32Array);
    expect(b.columns.total_volume).to.be.instanceOf(Float64Array);
    expect(b.columns.timestamp![0]).to.equal(T0 + 3_000 * MINUTE);
    expect(Number.isNaN(b.columns.price_change_24h![0] as number)).to.equal(true); // row 3000: 3000 % 3 == 0
    expect(ids(batches)).to.deep.equal(Array.from({ length: ROWS }, (_, i) => i));
    const [dk] = await duck(`select sum(price_change_24h)::double s, count(total_volume) n, sum(epoch_ms(timestamp))::double t from read_parquet(${lit(`${store()}/part-*.parquet`)})`);
    let s = 0;
    let n = 0;
    let t = 0;
    for (const x of batches) {
      const c = x.columns.price_change_24h as Float32Array;
      const v = x.columns.total_volume as Float64Array;
      const ts = x.columns.timestamp as Float64Array;
      for (let i = 0; i < x.numRows; i++) {
        if (!Number.isNaN(c[i]!)) s += c[i]!;
        if (!Number.isNaN(v[i]!)) n++;
        t += ts[i]!;
      }
    }
    expect(s).to.be.closeTo(dk!.s as number, 1e-6);
    expect(n).to.equal(Number(dk!.n));
    expect(t).to.equal(dk!.t);
  });

  it('reads only the projected columns, in the order asked for', async () => {
    const all = await makeBatchReader(store(), { workers: 0 });
    await collect(all);
    const reader = await makeBatchReader(store(), { workers: 0, columns: ['price_usd', 'timestamp'] });
    const [first] = await collect(reader);
    expect(Object.keys(first!.columns)).to.deep.equal(['price_usd', 'timestamp']);
    expect(reader.fields.map((f) => f.name)).to.deep.equal(['price_usd', 'timestamp']);
    expect(reader.stats.bytesRead).to.be.greaterThan(0).and.lessThan(all.stats.bytesRead / 2);
  });

  it('prunes row groups by statistics before reading, then filters rows', async () => {
    const reader = await makeBatchReader(store(), { workers: 0, filters: [['price_usd', '>=', 2_500], ['timestamp', '<', new Date(T0 + 4_200 * MINUTE)]] });
    const batches = await collect(reader);
    expect(ids(batches)).to.deep.equal(Array.from({ length: 1_700 }, (_, i) => 2_500 + i));
    expect(reader.stats.rowGroupsRead).to.equal(3); // row groups 2, 3 and 4
    expect(reader.stats.rowGroupsPruned).to.equal(17);
  });

  it('filters on a column it does not deliver, and supports in / !=', async () => {
    const reader = await makeBatchReader(store(), { workers: 0, columns: ['timestamp'], filters: [['price_usd', 'in', [5, 1_500, 19_999]]] });
    const batches = await collect(reader);
    expect(batches.flatMap((b) => Array.from(b.columns.timestamp as Float64Array))).to.deep.equal([5, 1_500, 19_999].map((i) => T0 + i * MINUTE));
    expect(Object.keys(batches[0]!.columns)).to.deep.equal(['timestamp']);
    expect(reader.stats.rowGroupsRead).to.equal(3);
    const ne = await collect(await makeBatchReader(store(), { workers: 0, columns: ['price_usd'], filters: [['price_usd', '<', 10], ['price_usd', '!=', 3]] }));
    expect(ids(ne)).to.deep.equal([0, 1, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('splits the store into shards that together hold every row exactly once, balanced', async () => {
    const shardCount = 3;
    const rows: number[][] = [];
    for (let shardIndex = 0; shardIndex < shardCount; shardIndex++) {
      rows.push(ids(await collect(await makeBatchReader(store(), { workers: 0, columns: ['price_usd'], shardIndex, shardCount }))));
    }
    expect(rows.flat().sort((a, b) => a - b)).to.deep.equal(Array.from({ length: ROWS }, (_, i) => i));
    const sizes = rows.map((r) => r.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1_000);
  });

  it('refuses more shards than row groups', async () => {
    let err: unknown;
    try {
      await makeBatchReader(store(), { workers: 0, shardCount: 21, shardIndex: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.match(/shardCount 21 exceeds the 20 row group/);
  });

  it('shuffles row groups reproducibly from the seed, differently each epoch', async () => {
    const order = async (seed: number) => {
      const batches = await collect(await makeBatchReader(store(), { workers: 0, columns: ['price_usd'], shuffleRowGroups: true, seed, numEpochs: 2 }));
      return batches.map((b) => (b.columns.price_usd as Float32Array)[0]! / 1_000);
    };
    const a = await order(7);
    const b = await order(7);
    const c = await order(8);
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
    expect(a.slice(0, 20)).to.not.deep.equal(a.slice(20));
    expect([...a.slice(0, 20)].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    expect([...a.slice(20)].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });

  it('reads numEpochs passes, and keeps going with numEpochs: null until the consumer stops', async () => {
    const three = await collect(await makeBatchReader(store(), { workers: 0, columns: ['price_usd'], numEpochs: 3 }));
    expect(three.length).to.equal(60);
    const reader = await makeBatchReader(store(), { workers: 0, columns: ['price_usd'], numEpochs: null });
    let n = 0;
    for await (const b of reader) {
      n += b.numRows;
      if (n >= 5 * ROWS) break;
    }
    expect(n).to.equal(5 * ROWS);
  });

  it('rebatches to batchSize rows across row groups and epochs, the last batch shorter', async () => {
    const batches = await collect(await makeBatchReader(store(), { workers: 0, columns: ['price_usd', 'timestamp'], batchSize: 3_000, numEpochs: 2 }));
    expect(batches.map((b) => b.numRows)).to.deep.equal([...new Array(13).fill(3_000), 1_000]);
    expect(ids(batches)).to.deep.equal([...Array.from({ length: ROWS }, (_, i) => i), ...Array.from({ length: ROWS }, (_, i) => i)]);
    expect((batches[1]!.columns.timestamp as Float64Array)[0]).to.equal(T0 + 3_000 * MINUTE);
  });

  it('decodes on worker threads with the same result as on the main thread, and stops them on close', async () => {
    const main = await collect(await makeBatchReader(store(), { workers: 0 }));
    const reader = await makeBatchReader(store(), { workers: 2, prefetch: 3 });
    const pooled = await collect(reader);
    expect(pooled.length).to.equal(main.length);
    for (let i = 0; i < main.length; i++) {
      for (const name of Object.keys(main[i]!.columns)) expect(Array.from(pooled[i]!.columns[name] as Float64Array)).to.deep.equal(Array.from(main[i]!.columns[name] as Float64Array));
    }
    expect(reader.liveWorkers).to.equal(0);
  });

  it('stops its workers when the consumer breaks early, and can be iterated again', async () => {
    const reader = await makeBatchReader(store(), { workers: 2, columns: ['price_usd'] });
    for await (const b of reader) {
      expect(b.numRows).to.equal(1_000);
      expect(reader.liveWorkers).to.be.greaterThan(0);
      break;
    }
    expect(reader.liveWorkers).to.equal(0);
    const again = await collect(reader);
    expect(ids(again).length).to.equal(ROWS);
    expect(reader.liveWorkers).to.equal(0);
    await reader.close();
  });

  it('keeps at most `prefetch` row groups decoded ahead of a slow consumer', async () => {
    const prefetch = 2;
    const reader = await makeBatchReader(store(), { workers: 1, prefetch, columns: ['price_usd'] });
    let consumed = 0;
    let maxAhead = 0;
    const ahead = () => reader.stats.rowGroupsRead - consumed;
    for await (const _ of reader) {
      consumed++;
      // A slow consumer: wait until the producer has filled what prefetch allows (or 5 s), then give it more
      // turns; it must not run further ahead.
      const canFill = Math.min(prefetch, 20 - consumed);
      for (let t = 0; t < 5_000 && ahead() < canFill; t++) await new Promise((r) => setTimeout(r, 1));
      for (let k = 0; k < 20; k++) await new Promise((r) => setImmediate(r));
      maxAhead = Math.max(maxAhead, ahead());
    }
    expect(consumed).to.equal(20);
    expect(maxAhead).to.equal(prefetch);
  });

  it('reads rows with makeReader (nulls as null)', async () => {
    const reader = await makeReader(store(), { workers: 0, filters: [['price_usd', '<', 4]] });
    const rows = await collect(reader);
    expect(rows.map((r) => r.price_usd)).to.deep.equal([0, 1, 2, 3]);
    expect(rows[0]).to.deep.equal({ timestamp: T0, price_usd: 0, market_cap: 0, price_change_24h: null, total_volume: null });
  });

  it('checks options before any I/O, listing valid values', async () => {
    const fails = async (options: object, re: RegExp) => {
      let err: unknown;
      try {
        await makeBatchReader('/no/such/store', options as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(options)).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(re);
    };
    await fails({ filters: [['x', '~', 1]] }, /makeBatchReader: filters.0.1 must be one of "=", "==", "!=", "<", "<=", ">", ">=", "in", "not in"; received "~"/);
    await fails({ filters: [['x', 'in', 1]] }, /'in' needs an array/);
    await fails({ shardIndex: 2, shardCount: 2 }, /shardIndex must be < shardCount \(2\); received 2/);
    await fails({ rangeFallback: 'maybe' }, /rangeFallback/);
    await fails({ batchSize: 0 }, /batchSize/);
    await fails({ seed: 3 }, /shuffleRowGroups/);
    await fails({ colums: ['a'] }, /colums/);
    let err: unknown;
    try {
      await makeBatchReader('/no/such/store');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(StoreError);
    const reader = makeBatchReader(store(), { columns: ['nope'] });
    let err2: unknown;
    try {
      await reader;
    } catch (e) {
      err2 = e;
    }
    expect((err2 as Error).message).to.match(/column "nope" is not in .*; columns: timestamp, price_usd, market_cap, price_change_24h, total_volume/);
  });
});
