import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError, columnsSource, initBackend, makeTfDataset, type MakeTfDatasetOptions, SchemaError } from '../../src/index.js';
import { byValue, datasetWindows } from '../windowing/helpers.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Several series: per series an id, hourly timestamps with optional holes, x = 100·series + row, a positive price. */
interface SeriesSpec {
  rows: number;
  holes: number[];
}

function build(specs: readonly SeriesSpec[], layout: 'sorted' | 'interleaved', seed = 1) {
  const rows: { id: string; t: number; x: number; price: number; local: number }[] = [];
  specs.forEach((sp, k) => {
    let t = T0 + k * 7 * HOUR; // series start at different times
    let p = 50 + 10 * k;
    for (let i = 0; i < sp.rows; i++) {
      rows.push({ id: `s${k}`, t, x: 1000 * k + i, price: p, local: i });
      t += sp.holes.includes(i) ? 6 * HOUR : HOUR;
      p *= 1 + 0.01 * Math.sin((i + 1) * (k + 1.3));
    }
  });
  if (layout === 'interleaved') {
    // In time order across series, ties broken by a seeded permutation (a collector appending every coin).
    let s = seed;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const key = new Map(rows.map((r) => [r, rnd()]));
    rows.sort((a, b) => a.t - b.t || key.get(a)! - key.get(b)!);
  }
  return {
    id: rows.map((r) => r.id),
    t: Float64Array.from(rows, (r) => r.t),
    x: Float64Array.from(rows, (r) => r.x),
    price: Float64Array.from(rows, (r) => r.price),
    perSeries: specs.map((_, k) => {
      const mine = rows.filter((r) => r.id === `s${k}`).sort((a, b) => a.local - b.local);
      return { t: Float64Array.from(mine, (r) => r.t), x: Float64Array.from(mine, (r) => r.x), price: Float64Array.from(mine, (r) => r.price) };
    }),
  };
}

describe('makeTfDataset with series columns', function () {
  this.timeout(120_000);
  before(async () => {
    await initBackend('cpu');
  });

  it('per-series windows equal, value for value, the windows of each series on its own, for any series counts, lengths, layouts and gaps (property)', async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          specs: fc.array(fc.record({ rows: fc.integer({ min: 0, max: 200 }), holes: fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 3 }) }), { minLength: 1, maxLength: 6 }),
          layout: fc.constantFrom('sorted' as const, 'interleaved' as const),
          windowSize: fc.integer({ min: 1, max: 5 }),
          horizon: fc.integer({ min: 1, max: 2 }),
          stride: fc.integer({ min: 1, max: 3 }),
          // Small chunks split series across units; one chunk of everything gives long runs of one series.
          chunkRows: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(100_000)),
          // Integer ids take a table lookup, string ids a map.
          ids: fc.constantFrom('string' as const, 'int32' as const),
          // No timestamps, statistics or splits: the first pass only lays units out.
          plain: fc.boolean(),
          gaps: fc.boolean(),
          logReturn: fc.boolean(),
          split: fc.boolean(),
          normalizeBy: fc.constantFrom('series' as const, 'global' as const),
          seed: fc.nat(),
        }),
        async (p) => {
          const d = build(p.specs, p.layout, p.seed);
          const id = p.ids === 'int32' ? Int32Array.from(d.id, (v) => Number(v.slice(1))) : d.id;
          const keyOf = (k: number) => JSON.stringify([p.ids === 'int32' ? k : `s${k}`]);
          const source = (chunkRows?: number) => columnsSource({ id, t: d.t, x: d.x, price: d.price }, chunkRows ? { chunkRows } : {});
          const plain: MakeTfDatasetOptions = { features: ['x', 'price'], targets: ['price'], windowSize: p.windowSize, horizon: p.horizon, stride: p.stride, normalize: 'none', batchSize: 5 };
          const o: MakeTfDatasetOptions = p.plain ? plain : {
            features: ['x', 'price'],
            targets: ['price'],
            windowSize: p.windowSize,
            horizon: p.horizon,
            stride: p.stride,
            timestampColumn: 't',
            ...(p.gaps ? { maxGap: 2 * HOUR } : {}),
            ...(p.logReturn ? { logReturns: ['price'] } : {}),
            ...(p.split ? { split: { train: 0.7, validation: 0.3 } } : {}),
            normalize: { price: 'zscore' },
            batchSize: 5,
          };
          const got = await datasetWindows(source(p.chunkRows), { ...o, seriesColumns: ['id'], ...(p.plain ? {} : { normalizeBy: p.normalizeBy }) });
          // Each series on its own, with the statistics the multi-series dataset used (its own or the global ones).
          const all = await makeTfDataset(source(), { ...o, seriesColumns: ['id'], ...(p.plain ? {} : { normalizeBy: p.normalizeBy }) });
          const expected: number[][] = [];
          for (let k = 0; k < p.specs.length; k++) {
            const s = d.perSeries[k]!;
            if (s.t.length === 0) continue;
            if (p.plain) {
              expected.push(...(await datasetWindows(columnsSource({ x: s.x, price: s.price }, { chunkRows: 7 }), plain)));
              continue;
            }
            const key = keyOf(k);
            const stats = p.normalizeBy === 'series' ? all.normalization.series![key]! : all.normalization.columns;
            if (stats.price!.count === 0) continue; // a series without train values has no train window either
            const alone = await datasetWindows(columnsSource({ t: s.t, x: s.x, price: s.price }, { chunkRows: 7 }), { ...o, normalize: undefined, normalization: { version: 1, columns: { x: all.normalization.columns.x!, price: stats.price! } } });
            expected.push(...alone);
          }
          expect([...got].sort(byValue)).to.deep.equal([...expected].sort(byValue));
          // No window mixes series: x = 1000·series + row, so every input of a window has one thousands digit.
          for (const w of got) {
            const xs = w.slice(0, p.windowSize * 2).filter((_, i) => i % 2 === 0);
            expect(new Set(xs.map((v) => Math.floor(v / 1000))).size).to.equal(1);
          }
          checked++;
        },
      ),
      { numRuns: 60, seed: 20261201 },
    );
    expect(checked).to.be.greaterThan(30);
  });

  it('statistics per series are each series train part only, and the global ones all train parts together (independent computation)', async () => {
    const d = build([{ rows: 40, holes: [] }, { rows: 30, holes: [] }, { rows: 50, holes: [] }], 'interleaved');
    const ds = await makeTfDataset(columnsSource({ id: d.id, t: d.t, x: d.x, price: d.price }), {
      features: ['price'], targets: ['price'], windowSize: 3, timestampColumn: 't', seriesColumns: ['id'], split: { train: 0.5, test: 0.5 }, normalize: 'zscore',
    });
    const n = ds.normalization;
    expect(n.by).to.equal('series');
    expect(n.seriesColumns).to.deep.equal(['id']);
    const everyTrain: number[] = [];
    d.perSeries.forEach((s, k) => {
      const train = Array.from(s.price.subarray(0, Math.floor(s.price.length * 0.5)));
      everyTrain.push(...train);
      const mean = train.reduce((a, b) => a + b, 0) / train.length;
      const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length);
      const got = n.series![JSON.stringify([`s${k}`])]!.price!;
      expect(got.count).to.equal(train.length);
      expect(got.mean).to.be.closeTo(mean, 1e-9);
      expect(got.std).to.be.closeTo(std, 1e-9);
    });
    const gm = everyTrain.reduce((a, b) => a + b, 0) / everyTrain.length;
    expect(n.columns.price!.count).to.equal(everyTrain.length);
    expect(n.columns.price!.mean).to.be.closeTo(gm, 1e-9);
  });

  it('counts series too short for a window in a report instead of failing', async () => {
    const d = build([{ rows: 30, holes: [] }, { rows: 2, holes: [] }, { rows: 0, holes: [] }, { rows: 25, holes: [] }], 'sorted');
    const ds = await makeTfDataset(columnsSource({ id: d.id, t: d.t, x: d.x, price: d.price }), { features: ['x'], targets: ['x'], windowSize: 4, seriesColumns: ['id'] });
    expect(ds.seriesReport()).to.deep.equal({ series: 3, withWindows: 2, tooShort: [['s1']] });
    expect(ds.windowsPerEpoch).to.equal(26 + 21);
    expect(ds.series.map((s) => [s.ids, s.rows, s.windows])).to.deep.equal([[['s0'], 30, 26], [['s1'], 2, 0], [['s3'], 25, 21]]);
  });

  it('reads every series afresh with its own statistics at inference, and refuses a series unseen in training unless asked for the global ones', async () => {
    const d = build([{ rows: 30, holes: [] }, { rows: 30, holes: [] }], 'sorted');
    const o: MakeTfDatasetOptions = { features: ['price'], targets: ['price'], windowSize: 3, seriesColumns: ['id'] };
    const train = await makeTfDataset(columnsSource({ id: d.id.map((v) => (v === 's1' ? 's0' : v)), price: d.price }), { ...o, normalize: 'zscore' });
    const err = await makeTfDataset(columnsSource({ id: d.id, price: d.price }), { ...o, normalization: train.normalization }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.equal('makeTfDataset: series ["s1"] has no statistics for "price" in normalization (it was not in the training data); pass normalizeBy: \'global\' to scale it with the global statistics');
    const global = await makeTfDataset(columnsSource({ id: d.id, price: d.price }), { ...o, normalization: train.normalization, normalizeBy: 'global' });
    expect(global.windowsPerEpoch).to.equal(2 * 27);
  });

  it('a walk-forward split yields k (train, test) pairs: no training window reaches its fold\'s test period minus the embargo, and the test periods tile the end of the data', async () => {
    const d = build([{ rows: 300, holes: [] }, { rows: 280, holes: [40] }], 'interleaved');
    const src = () => columnsSource({ id: d.id, t: d.t, x: d.x, price: d.price }, { chunkRows: 37 });
    const horizon = 24 * HOUR;
    const gap = 6 * HOUR;
    const end = Math.max(...d.t) + 1;
    // x = 1000·series + row (exact in float32, where epoch milliseconds are not) names each row of a window,
    // and through it the row's time: inputs at rows s..s+W−1, the target at row s+W.
    const timeOf = (v: number) => d.perSeries[Math.floor(v / 1000)]!.t[v % 1000]!;
    const base: MakeTfDatasetOptions = { features: ['x'], targets: ['x'], windowSize: 5, timestampColumn: 't', seriesColumns: ['id'], batchSize: 50 };
    const testTimes: number[][] = [];
    for (let fold = 0; fold < 3; fold++) {
      const walkForward = { folds: 3, horizon, gap, fold };
      const train = (await datasetWindows(src(), { ...base, walkForward, subset: 'train' })).map((w) => w.map(timeOf));
      const test = (await datasetWindows(src(), { ...base, walkForward, subset: 'test' })).map((w) => w.map(timeOf));
      const testFrom = end - (3 - fold) * horizon;
      expect(train.length).to.be.greaterThan(0);
      expect(test.length).to.be.greaterThan(0);
      for (const w of train) expect(Math.max(...w), 'train window').to.be.below(testFrom - gap);
      for (const w of test) {
        expect(Math.min(...w)).to.be.at.least(testFrom);
        expect(Math.max(...w)).to.be.below(testFrom + horizon);
      }
      testTimes.push(test.map((w) => w[0]!));
    }
    // Successive test periods do not overlap.
    expect(Math.max(...testTimes[0]!)).to.be.below(Math.min(...testTimes[1]!));
    expect(Math.max(...testTimes[1]!)).to.be.below(Math.min(...testTimes[2]!));
    const err = await makeTfDataset(src(), { ...base, walkForward: { folds: 3, horizon, gap, fold: 3 } }).catch((e: Error) => e);
    expect((err as Error).message).to.equal('makeTfDataset: walkForward.fold must be < walkForward.folds (3); received 3');
  });

  it('shards by series give each process whole series: disjoint, complete, and the union of windows is the unsharded one', async () => {
    const d = build([{ rows: 90, holes: [] }, { rows: 40, holes: [] }, { rows: 70, holes: [10] }, { rows: 15, holes: [] }, { rows: 55, holes: [] }], 'interleaved');
    const src = () => columnsSource({ id: d.id, t: d.t, x: d.x, price: d.price }, { chunkRows: 23 });
    const o: MakeTfDatasetOptions = { features: ['x'], targets: ['x'], windowSize: 6, timestampColumn: 't', maxGap: 2 * HOUR, seriesColumns: ['id'], shardBy: 'series', shardCount: 3, batchSize: 16 };
    const all = await datasetWindows(src(), { ...o, shardCount: 1 });
    const parts = await Promise.all([0, 1, 2].map((shardIndex) => datasetWindows(src(), { ...o, shardIndex })));
    const seriesOf = (w: number[]) => Math.floor(w[0]! / 1000);
    const owners = parts.map((p) => new Set(p.map(seriesOf)));
    for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) expect([...owners[a]!].filter((s) => owners[b]!.has(s))).to.deep.equal([]);
    expect(parts.flat().sort(byValue)).to.deep.equal([...all].sort(byValue));
  });

  it("sample 'balanced' draws the same number of windows from every series each epoch (seeded, anew per epoch)", async () => {
    const d = build([{ rows: 200, holes: [] }, { rows: 30, holes: [] }, { rows: 90, holes: [] }], 'sorted');
    const ds = await makeTfDataset(columnsSource({ id: d.id, x: d.x }, { chunkRows: 50 }), { features: ['x'], targets: ['x'], windowSize: 5, seriesColumns: ['id'], sample: 'balanced', windowsPerSeries: 40, batchSize: 32, shuffle: true, seed: 3 });
    expect(ds.windowsPerEpoch).to.equal(120);
    const epochs: number[][] = [];
    for (let e = 0; e < 2; e++) {
      const got = await datasetWindows(columnsSource({ id: d.id, x: d.x }, { chunkRows: 50 }), { features: ['x'], targets: ['x'], windowSize: 5, seriesColumns: ['id'], sample: 'balanced', windowsPerSeries: 40, batchSize: 32, shuffle: true, seed: 3, resumeFrom: { version: 1, epoch: e, batchIndex: 0, seed: 3 } });
      const per = [0, 1, 2].map((k) => got.filter((w) => Math.floor(w[0]! / 1000) === k));
      expect(per.map((p) => p.length)).to.deep.equal([40, 40, 40]);
      // s1 has 25 windows: all of them, 15 twice; s0 (195) and s2 (85): 40 distinct ones.
      expect(new Set(per[1]!.map((w) => w[0])).size).to.equal(25);
      expect(new Set(per[0]!.map((w) => w[0])).size).to.equal(40);
      epochs.push(per[0]!.map((w) => w[0]!).sort((a, b) => a - b));
    }
    expect(epochs[0]).to.not.deep.equal(epochs[1]);
  });

  it('a shuffled epoch holds exactly the windows of an unshuffled one, each once, and mixes the whole time range into every batch', async () => {
    const n = 20_000;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + i * HOUR);
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const src = () => columnsSource({ t, x }, { chunkRows: 1_000 });
    const o: MakeTfDatasetOptions = { features: ['x'], targets: ['x'], windowSize: 48, batchSize: 64 };
    const plain = await datasetWindows(src(), o);
    const ds = await makeTfDataset(src(), { ...o, shuffle: true, seed: 11 });
    const mixed = await datasetWindows(src(), { ...o, shuffle: true, seed: 11 });
    expect(mixed.length).to.equal(plain.length);
    expect([...mixed].sort(byValue)).to.deep.equal(plain);
    const q = ds.shuffleQuality(0);
    // The measure is the order the epoch really had: recompute it from the windows drawn.
    const starts = mixed.map((w) => w[0]!);
    const std = (a: number[]) => {
      const m = a.reduce((s, v) => s + v, 0) / a.length;
      return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
    };
    let spread = 0;
    let batches = 0;
    for (let k = 0; k + 1 < starts.length; k += 64) {
      spread += std(starts.slice(k, k + 64));
      batches++;
    }
    expect(q.withinBatchSpread).to.be.closeTo(spread / batches, 1e-6);
    expect(q.uniformSpread).to.be.closeTo(std(starts), 1e-6);
    expect(q.ratio).to.be.at.least(0.5);
    expect(q.firstTenthDeciles).to.equal(10);
    const unshuffled = (await makeTfDataset(src(), o)).shuffleQuality(0);
    expect(unshuffled.ratio).to.be.below(0.01);
  });

  it('resumes mid-series and mid-epoch with the same next batch, shuffled and balanced', async () => {
    const d = build([{ rows: 120, holes: [] }, { rows: 80, holes: [30] }, { rows: 100, holes: [] }], 'interleaved');
    const src = () => columnsSource({ id: d.id, t: d.t, x: d.x, price: d.price }, { chunkRows: 31 });
    const o: MakeTfDatasetOptions = { features: ['x', 'price'], targets: ['price'], windowSize: 4, timestampColumn: 't', maxGap: 2 * HOUR, seriesColumns: ['id'], normalize: 'zscore', sample: 'balanced', batchSize: 10, shuffle: true, seed: 8 };
    const full = await makeTfDataset(src(), o);
    const epoch0 = await datasetWindows(src(), o);
    const it = await full.iterator();
    await it.next(); // epoch 0, batch 0
    await it.next();
    await it.next();
    const state = full.state();
    expect(state).to.deep.equal({ version: 1, epoch: 0, batchIndex: 3, seed: 8 });
    const resumed = await datasetWindows(src(), { ...o, resumeFrom: state });
    expect(resumed).to.deep.equal(epoch0.slice(30));
  });

  it('gives the series number, static columns and calendar features of the targets as named inputs, and a two-input model trains on them', async () => {
    const d = build([{ rows: 60, holes: [] }, { rows: 60, holes: [] }, { rows: 60, holes: [] }], 'interleaved');
    const kind = d.id.map((id) => (id === 's1' ? 1 : 0));
    const src = columnsSource({ id: d.id, t: d.t, price: d.price, kind }, { chunkRows: 40 });
    const ds = await makeTfDataset(src, {
      features: ['price'], targets: ['price'], windowSize: 8, horizon: 2, timestampColumn: 't', seriesColumns: ['id'], normalize: 'zscore', batchSize: 16,
      inputs: { series: true, static: ['kind'], calendar: true },
    });
    const it = await ds.iterator();
    const first = (await it.next()).value;
    expect(first.xs.window.shape).to.deep.equal([16, 8, 1]);
    expect(first.xs.series!.shape).to.deep.equal([16, 1]);
    expect(first.xs.series!.dtype).to.equal('int32');
    expect(first.xs.static!.shape).to.deep.equal([16, 1]);
    expect(first.xs.calendar!.shape).to.deep.equal([16, 2, 4]);
    expect(first.ys.shape).to.deep.equal([16, 2, 1]);
    const series = Array.from(first.xs.series!.dataSync());
    const kinds = Array.from(first.xs.static!.dataSync());
    series.forEach((s, k) => expect(kinds[k]).to.equal(ds.seriesKeys[s as number]![0] === 's1' ? 1 : 0));
    tf.dispose(first as never);

    // A two-input model: the window through an LSTM, the series through an embedding.
    const window = tf.input({ shape: [8, 1], name: 'window' });
    const seriesIn = tf.input({ shape: [1], name: 'series', dtype: 'int32' });
    const embedded = tf.layers.flatten().apply(tf.layers.embedding({ inputDim: ds.seriesKeys.length, outputDim: 2 }).apply(seriesIn)) as tf.SymbolicTensor;
    const lstm = tf.layers.lstm({ units: 4 }).apply(window) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate().apply([lstm, embedded]) as tf.SymbolicTensor;
    const out = tf.layers.reshape({ targetShape: [2, 1] }).apply(tf.layers.dense({ units: 2 }).apply(joined)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [window, seriesIn], outputs: out });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const two = await makeTfDataset(columnsSource({ id: d.id, t: d.t, price: d.price }, { chunkRows: 40 }), { features: ['price'], targets: ['price'], windowSize: 8, horizon: 2, timestampColumn: 't', seriesColumns: ['id'], normalize: 'zscore', batchSize: 16, inputs: { series: true } });
    const h = await model.fitDataset(two, { epochs: 2, verbose: 0 });
    expect(h.history.loss!.every((l) => Number.isFinite(l as number))).to.equal(true);
    model.dispose();
  });

  describe('bad input', () => {
    const o: MakeTfDatasetOptions = { features: ['x'], targets: ['x'], windowSize: 2, seriesColumns: ['id'], timestampColumn: 't' };
    const fail = async (cols: Parameters<typeof columnsSource>[0], extra: Partial<MakeTfDatasetOptions> = {}) =>
      makeTfDataset(columnsSource(cols), { ...o, ...extra } as MakeTfDatasetOptions).then(() => expect.fail('accepted'), (e: Error) => e);

    it('a missing series column is a ConfigError naming it', async () => {
      const err = await fail({ t: [1, 2], x: [1, 2] });
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.equal('makeTfDataset: column "id" is not in the source; available: t, x');
    });
    it('a null series id is a SchemaError naming the column and the row', async () => {
      const id = ['a', 'a', null as unknown as string, 'a'];
      const err = await fail({ id, t: Float64Array.of(1, 2, 3, 4), x: Float64Array.of(1, 2, 3, 4) });
      expect(err).to.be.instanceOf(SchemaError);
      expect(err.message).to.match(/^makeTfDataset: series column "id" is null at row 2; every row needs a series id/);
      expect(err).to.include({ field: 'id', row: 2 });
    });
    it('time going back inside a series is a SchemaError naming the series and the row (another series may be earlier)', async () => {
      const err = await fail({ id: ['a', 'b', 'a', 'b', 'a'], t: Float64Array.of(10, 1, 20, 2, 15), x: Float64Array.of(1, 2, 3, 4, 5) });
      expect(err).to.be.instanceOf(SchemaError);
      expect(err.message).to.match(/^makeTfDataset: timestamps go back in time at row 4 of series \["a"\] \(1970-01-01T00:00:00\.020Z then 1970-01-01T00:00:00\.015Z\)/);
    });
    it('ids of two types in one series column are a SchemaError naming the column and the row', async () => {
      const id = ['a', 'a', 7 as unknown as string];
      const err = await fail({ id, t: Float64Array.of(1, 2, 3), x: Float64Array.of(1, 2, 3) });
      expect(err).to.be.instanceOf(SchemaError);
      expect(err.message).to.equal('makeTfDataset: series column "id" mixes string and integer ids (row 2 holds 7); use one type for a series column');
    });
  });
});
