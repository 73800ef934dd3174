import { expect } from 'chai';
import { initBackend, makeTfDataset, openStore, storeWindowSource } from '../../src/index.js';
import { DEFAULT_MAX_BATCH_BYTES, unitsOf } from '../../src/readers/read-unit.js';
import { RowGroupLoader } from '../../src/readers/row-group-loader.js';
import { SpareBuffers, spareBuffers } from '../../src/readers/spare-buffers.js';
import type { Column } from '../../src/schema/columns.js';
import { btcColumns, useBtcStore } from './fixtures.js';

const COLUMNS = ['timestamp', 'price_usd', 'market_cap', 'price_change_24h', 'total_volume'];
const stats = () => ({ rowGroupsRead: 0, rowGroupsPruned: 0, rowsDecoded: 0, bytesRead: 0 });
const junk = (bytes: number) => new Float64Array(bytes / 8).fill(-12345.5).buffer;

describe('spare column buffers: a windowed unit\'s columns become the next decode\'s outputs', function () {
  this.timeout(60_000);
  // 3 row groups of 4,000 rows: every unit decodes to the same column sizes.
  const dir = useBtcStore(12_000, 4_000, 12_000);
  beforeEach(() => spareBuffers.clear());
  after(() => spareBuffers.clear());

  it('hands out a buffer of exactly the size asked for, once, and keeps no more than its bound', function () {
    const spares = new SpareBuffers(100);
    const a = new ArrayBuffer(40);
    const b = new ArrayBuffer(40);
    spares.give([a, b, a, new ArrayBuffer(0), new ArrayBuffer(32)]);
    // 40 + 40 fit (a given twice is held once); 32 more would pass the 100-byte bound; an empty buffer is never kept.
    expect(spares.bytes).to.equal(80);
    expect(spares.take(32)).to.equal(undefined);
    expect(spares.take(41)).to.equal(undefined);
    const first = spares.take(40);
    const second = spares.take(40);
    expect([first, second]).to.have.members([a, b]);
    expect(spares.take(40)).to.equal(undefined);
    expect(spares.bytes).to.equal(0);
  });

  it('every value of a unit decoded into recycled buffers is the unit\'s own, nulls included, and the buffers are the recycled ones (workers: 0)', async function () {
    const store = await openStore(dir());
    const units = unitsOf(store.rowGroups, DEFAULT_MAX_BATCH_BYTES);
    expect(units.map((u) => u.numRows)).to.deep.equal([4_000, 4_000, 4_000]);
    const loader = new RowGroupLoader(store, COLUMNS, 0, stats());
    const first = await loader.load(units[0]!);
    const given = COLUMNS.map((c) => (first.columns[c] as Float64Array).buffer);
    // A foreign column, a column given twice, and a view are not the loader's to take back.
    const foreign = new Float64Array(4_000);
    loader.recycle([...Object.values(first.columns), first.columns.price_usd!, foreign, (first.columns.market_cap as Float64Array).subarray(1)]);
    expect(spareBuffers.bytes).to.equal(given.reduce((s, b) => s + b.byteLength, 0));
    // Stale values everywhere: a value the decoder did not write would show as -12345.5 or its float32 bytes.
    for (const b of given) new Uint8Array(b).fill(0xc6);
    const second = await loader.load(units[1]!);
    expect(spareBuffers.bytes).to.equal(0);
    const expected = btcColumns(4_000, 4_000).columns as Record<string, ArrayLike<number>>;
    for (const c of COLUMNS) {
      const col = second.columns[c] as Float32Array | Float64Array;
      expect(given, c).to.include(col.buffer);
      expect(Array.from(col), c).to.deep.equal(Array.from(expected[c]!));
    }
    // A reader that ends lets this thread's spares go.
    loader.recycle(Object.values(second.columns));
    expect(spareBuffers.bytes).to.be.greaterThan(0);
    await loader.close();
    expect(spareBuffers.bytes).to.equal(0);
  });

  it('with a decode thread, recycled buffers move to the thread (detached here) and the next units decode the same values as a loader that never recycles', async function () {
    const store = await openStore(dir());
    const units = unitsOf(store.rowGroups, DEFAULT_MAX_BATCH_BYTES);
    const plain = new RowGroupLoader(store, COLUMNS, 0, stats());
    const expected: Record<string, Column>[] = [];
    for (const u of units) expected.push((await plain.load(u)).columns);
    await plain.close();
    spareBuffers.clear();

    const loader = new RowGroupLoader(store, COLUMNS, 1, stats());
    try {
      // Until its thread is ready the pool decodes here; wait for a unit decoded on the thread.
      let batch = await loader.load(units[0]!);
      for (let i = 0; i < 200 && spareBuffers.bytes === 0; i++) {
        loader.recycle(Object.values(batch.columns));
        if (spareBuffers.bytes > 0) {
          // Kept on this thread: no thread was ready. Take them back and try again.
          spareBuffers.clear();
          await new Promise((r) => setTimeout(r, 20));
          batch = await loader.load(units[0]!);
          continue;
        }
        break;
      }
      const recycled = Object.values(batch.columns) as Float64Array[];
      expect(recycled.map((c) => c.byteLength), 'transferred to the thread').to.deep.equal(recycled.map(() => 0));
      for (let k = 1; k < units.length; k++) {
        const got = await loader.load(units[k]!);
        for (const c of COLUMNS) expect(Array.from(got.columns[c] as Float64Array), `unit ${k} ${c}`).to.deep.equal(Array.from(expected[k]![c] as Float64Array));
        loader.recycle(Object.values(got.columns));
      }
    } finally {
      await loader.close();
    }
  });

  it('windows of every epoch are the same with recycling as the rows say, in order and shuffled by units, on 0 and 1 decode threads', async function () {
    await initBackend('cpu');
    const price = btcColumns(12_000).columns.price_usd;
    for (const workers of [0, 1]) {
      for (const shuffle of [false, true]) {
        const ds = await makeTfDataset(await storeWindowSource(dir(), { workers }), { features: ['price_usd'], targets: ['price_usd'], windowSize: 8, batchSize: 256, normalize: 'none', shuffle, seed: 3 });
        for (let epoch = 0; epoch < 2; epoch++) {
          const firsts: number[] = [];
          await ds.forEachAsync(async (b) => {
            const { xs, ys } = b as { xs: { data(): Promise<Float32Array>; shape: number[] }; ys: { data(): Promise<Float32Array> } };
            const x = await xs.data();
            const y = await ys.data();
            const n = xs.shape[0]!;
            for (let w = 0; w < n; w++) {
              const start = x[w * 8]!;
              // A window is 8 consecutive prices and its target the next one: a value from a stale or
              // shared buffer breaks the run.
              for (let k = 0; k < 8; k++) expect(x[w * 8 + k], `workers ${workers} shuffle ${shuffle} epoch ${epoch}`).to.equal(price[start + k]);
              expect(y[w]).to.equal(price[start + 8]);
              firsts.push(start);
            }
          });
          expect(firsts.length).to.equal(12_000 - 8);
          expect(new Set(firsts).size, 'each window once').to.equal(12_000 - 8);
          if (!shuffle) expect(firsts).to.deep.equal(firsts.map((_, i) => i));
        }
      }
    }
  });
});
