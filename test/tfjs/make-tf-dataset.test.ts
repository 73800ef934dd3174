import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError, TfplError } from '../../src/errors.js';
import { initBackend } from '../../src/tfjs/backend.js';
import { makeTfDataset } from '../../src/tfjs/make-tf-dataset.js';
import type { MakeTfDatasetOptions } from '../../src/index.js';
import { columnsSource } from '../../src/windowing/window-source.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BitcoinSchema } from '../../src/forecasting/schemas.js';
import { materializeDataset } from '../../src/materialize/materialize.js';
import { collect, partsSource, referenceWindows, windowsOf } from '../windowing/helpers.js';

const HOUR = 3_600_000;

/** Hourly rows with a few holes: x = row, y = 1000 + row, price a positive random walk. */
function series(n: number, holesAfter: number[] = []) {
  const t = new Float64Array(n);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const price = new Float64Array(n);
  let now = Date.UTC(2024, 0, 1);
  let p = 100;
  for (let i = 0; i < n; i++) {
    t[i] = now;
    now += holesAfter.includes(i) ? 5 * HOUR : HOUR;
    x[i] = i;
    y[i] = 1000 + i;
    p *= 1 + 0.01 * Math.sin(i * 1.3);
    price[i] = p;
  }
  return { t, x, y, price };
}

describe('windowing/makeTfDataset', () => {
  before(async () => {
    await initBackend('cpu');
  });

  describe('options', () => {
    const src = columnsSource(series(50));
    const base: MakeTfDatasetOptions = { features: ['x'], targets: ['y'], windowSize: 4 };
    const bad: [string, Partial<MakeTfDatasetOptions> & Record<string, unknown>, string][] = [
      ['windowSize 0', { windowSize: 0 }, 'makeTfDataset: windowSize must be an integer >= 1; received 0'],
      ['a fractional horizon', { horizon: 1.5 }, 'makeTfDataset: horizon must be an integer >= 1; received 1.5'],
      ['no features', { features: [] }, 'makeTfDataset: features must name at least one column; received array(0)'],
      ['an unknown option', { windowsize: 3 }, 'makeTfDataset: unknown option "windowsize"'],
      ['an unknown normalize method', { normalize: 'robust' as never }, 'makeTfDataset: normalize must be "zscore", "minmax", "none" or { column: method }; received "robust"'],
      ['maxGap without timestampColumn', { maxGap: HOUR }, 'makeTfDataset: maxGap (3600000) needs timestampColumn'],
      ['a time split without timestampColumn', { split: { train: { to: 5 } } }, 'makeTfDataset: split by time range needs timestampColumn'],
      ['fractions over 1', { split: { train: 0.8, validation: 0.3 } }, 'makeTfDataset: split fractions must sum to at most 1'],
      ['mixed split kinds', { timestampColumn: 't', split: { train: 0.5, test: { from: 0 } } }, 'makeTfDataset: split mixes fractions (train) and time ranges'],
      ['overlapping time ranges', { timestampColumn: 't', split: { train: { to: 100 }, test: { from: 50 } } }, 'makeTfDataset: split.test [50, Infinity) overlaps split.train [-Infinity, 100)'],
      ['a subset without split', { subset: 'test' }, 'makeTfDataset: subset is "test" but no split is given'],
      ['a log-return column that is not used', { logReturns: ['price'] }, 'makeTfDataset: logReturns names "price", which is neither a feature nor a target'],
      ['a duplicate feature', { features: ['x', 'x'] }, 'makeTfDataset: features names column "x" twice'],
      ['a seed that differs from the resumed one', { seed: 1, resumeFrom: { version: 1, epoch: 0, batchIndex: 0, seed: 2 } }, 'makeTfDataset: seed 1 differs from resumeFrom.seed 2'],
      ['a column the source lacks', { features: ['nope'] }, 'makeTfDataset: column "nope" is not in the source; available: t, x, y, price'],
    ];
    for (const [what, patch, message] of bad) {
      it(`rejects ${what} before reading`, async () => {
        const err = await makeTfDataset(src, { ...base, ...patch } as MakeTfDatasetOptions).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as Error).message).to.contain(message);
      });
    }

    it('reads a store path through the loader: the same windows as the same columns in memory', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tfpl-window-store-'));
      try {
        const n = 300;
        const t = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * HOUR);
        const price = Float32Array.from({ length: n }, (_, i) => 100 + Math.sin(i / 7) * 10);
        const cap = Float64Array.from({ length: n }, (_, i) => 1e9 + i);
        await materializeDataset(dir, BitcoinSchema, {
          numRows: n,
          columns: { timestamp: t, price_usd: price, market_cap: cap, price_change_24h: new Float32Array(n).fill(NaN), total_volume: new Float64Array(n).fill(NaN) },
        }, { rowGroupSize: 64 });
        const options: MakeTfDatasetOptions = { features: ['price_usd', 'market_cap'], targets: ['price_usd'], windowSize: 10, horizon: 2, timestampColumn: 'timestamp', maxGap: HOUR, normalize: 'zscore', batchSize: 32 };
        const fromStore = await collect(await makeTfDataset(dir, options));
        const inMemory = await collect(await makeTfDataset(columnsSource({ timestamp: t, price_usd: price, market_cap: cap }, { chunkRows: 64 }), options));
        expect(fromStore.xs.length).to.equal(Math.ceil((300 - 11) / 32));
        expect(fromStore).to.deep.equal(inMemory);
        const missing = await makeTfDataset(join(dir, 'nope'), options).catch((e: unknown) => e);
        expect(missing).to.be.instanceOf(TfplError);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`keeps every batch's tensors intact while later batches are assembled (${backend} backend)`, async () => {
      const previous = tf.getBackend();
      await initBackend(backend);
      try {
        const x = Float64Array.from({ length: 200 }, (_, i) => i);
        const ds = await makeTfDataset(columnsSource({ x }, { chunkRows: 37 }), { features: ['x'], targets: ['x'], windowSize: 3, batchSize: 16 });
        const batches = await ds.toArray(); // all tensors alive at once, read afterwards
        expect(batches.length).to.equal(13);
        batches.forEach((b, k) => {
          const xs = b.xs.dataSync();
          expect(xs[0]).to.equal(16 * k);
          expect(b.ys.dataSync()[0]).to.equal(16 * k + 3);
        });
        tf.dispose(batches.map((b) => [b.xs, b.ys]).flat());
      } finally {
        await tf.setBackend(previous);
      }
    });
  }

  it('on wasm (windows copied in a WebAssembly memory) gives every window of the reference, also when the work rows grow mid-batch', async () => {
    const previous = tf.getBackend();
    await initBackend('wasm');
    try {
      const n = 9_000;
      const cols = { x: Float64Array.from({ length: n }, (_, i) => i), y: Float64Array.from({ length: n }, (_, i) => 1000 + i * 0.5), z: Float64Array.from({ length: n }, (_, i) => Math.sin(i)) };
      // Units of 100 rows, then of 5,000: the second grows the work rows while a batch is half full.
      const cases: MakeTfDatasetOptions[] = [
        { features: ['x', 'y', 'z'], targets: ['y'], windowSize: 8, batchSize: 64 },
        { features: ['x', 'y', 'z'], targets: ['z'], windowSize: 5, stride: 3, batchSize: 50 },
        { features: ['x', 'y', 'z'], targets: ['x'], windowSize: 4, stride: 9, batchSize: 33, dropRemainder: true },
        // Batches of 128 × 40 × 3 floats: more than the memory's first 64 KiB page before any row arrives.
        { features: ['x', 'y', 'z'], targets: ['y'], windowSize: 40, batchSize: 128 },
        // Not the common path (two targets): the same windows, copied in JavaScript.
        { features: ['x', 'y', 'z'], targets: ['x', 'y'], windowSize: 6, batchSize: 40 },
      ];
      for (const o of cases) {
        const ds = await makeTfDataset(partsSource(cols, [100], 5_000), o);
        const ref = referenceWindows(cols, o as Parameters<typeof referenceWindows>[1]);
        const got = await collect(ds);
        const kept = o.dropRemainder ? Math.floor(ref.starts.length / o.batchSize!) * o.batchSize! : ref.starts.length;
        expect(windowsOf(got.xs, o.windowSize * 3), JSON.stringify(o)).to.deep.equal(ref.xs.slice(0, kept));
        expect(windowsOf(got.ys, o.targets.length), JSON.stringify(o)).to.deep.equal(ref.ys.slice(0, kept));
      }
    } finally {
      await tf.setBackend(previous);
    }
  });

  it('windows a split part that starts far into the source (past the assembler buffer)', async () => {
    const x = Float64Array.from({ length: 10_000 }, (_, i) => i);
    const ds = await makeTfDataset(columnsSource({ x }, { chunkRows: 1000 }), { features: ['x'], targets: ['x'], windowSize: 4, split: { train: 0.5, validation: 0.5 }, subset: 'validation', batchSize: 1000 });
    const { xs, ys } = await collect(ds);
    expect(xs.length).to.equal(5);
    expect(xs[0]!.slice(0, 8)).to.deep.equal([5000, 5001, 5002, 5003, 5001, 5002, 5003, 5004]);
    expect(ys[0]!.slice(0, 2)).to.deep.equal([5004, 5005]);
    expect(ys[4]![ys[4]!.length - 1]).to.equal(9999);
    expect(xs.reduce((n, b) => n + b.length / 4, 0)).to.equal(5000 - 4);
  });

  it('yields xs [batch, windowSize, features] and ys [batch, targets] for horizon 1, across chunk boundaries', async () => {
    const s = series(20);
    const ds = await makeTfDataset(columnsSource({ x: s.x, y: s.y }, { chunkRows: 3 }), { features: ['x', 'y'], targets: ['y'], windowSize: 3, batchSize: 8 });
    expect(ds.size).to.equal(3);
    const got = await collect(ds);
    expect(got.xShapes).to.deep.equal([[8, 3, 2], [8, 3, 2], [1, 3, 2]]);
    expect(got.yShapes).to.deep.equal([[8, 1], [8, 1], [1, 1]]);
    expect(got.xs[0]!.slice(0, 6)).to.deep.equal([0, 1000, 1, 1001, 2, 1002]);
    expect(got.ys.flat()).to.deep.equal(Array.from({ length: 17 }, (_, i) => 1003 + i));
  });

  it('predicts 1..H steps ahead: ys is [batch, horizon, targets], sampled like the inputs', async () => {
    const s = series(30);
    const ds = await makeTfDataset(columnsSource({ x: s.x, y: s.y }, { chunkRows: 4 }), { features: ['x'], targets: ['x', 'y'], windowSize: 3, horizon: 2, samplingRate: 2, stride: 5, batchSize: 2 });
    const got = await collect(ds);
    expect(got.yShapes[0]).to.deep.equal([2, 2, 2]);
    // window at 0: inputs 0,2,4; targets at 6 and 8
    expect(got.xs[0]!.slice(0, 3)).to.deep.equal([0, 2, 4]);
    expect(got.ys[0]!.slice(0, 4)).to.deep.equal([6, 1006, 8, 1008]);
    // starts 0,5,10,15,20 (20+8 = 28 < 30), 25 would need row 33
    expect(windowsOf(got.xs, 3).map((w) => w[0])).to.deep.equal([0, 5, 10, 15, 20]);
  });

  it('drops a window that spans a gap larger than maxGap, up to its last target row', async () => {
    const s = series(12, [5]); // rows 5 → 6 are 5 h apart
    const ds = await makeTfDataset(columnsSource(s, { chunkRows: 2 }), { features: ['x'], targets: ['x'], windowSize: 3, timestampColumn: 't', maxGap: HOUR, batchSize: 100 });
    const got = await collect(ds);
    const starts = windowsOf(got.xs, 3).map((w) => w[0]);
    // span 4 rows: windows 0..2 end by row 5; 3,4,5 would span 5→6; 6..8 end by row 11
    expect(starts).to.deep.equal([0, 1, 2, 6, 7, 8]);
    expect(ds.windowsPerEpoch).to.equal(6);
    const loose = await makeTfDataset(columnsSource(s), { features: ['x'], targets: ['x'], windowSize: 3, timestampColumn: 't', maxGap: 5 * HOUR });
    expect(loose.windowsPerEpoch).to.equal(9);
  });

  it('builds the same windows as the naive definition for any geometry, chunking, gaps and split (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 80 }),
          windowSize: fc.integer({ min: 1, max: 6 }),
          horizon: fc.integer({ min: 1, max: 3 }),
          stride: fc.integer({ min: 1, max: 4 }),
          samplingRate: fc.integer({ min: 1, max: 3 }),
          chunkRows: fc.integer({ min: 1, max: 17 }),
          holes: fc.array(fc.integer({ min: 0, max: 79 }), { maxLength: 4 }),
          useGap: fc.boolean(),
          logReturn: fc.boolean(),
          split: fc.option(fc.tuple(fc.double({ min: 0.05, max: 0.6, noNaN: true }), fc.double({ min: 0.05, max: 0.35, noNaN: true })), { nil: undefined }),
          subset: fc.constantFrom('train', 'validation', 'test') as fc.Arbitrary<'train' | 'validation' | 'test'>,
        }),
        async (p) => {
          const s = series(p.n, p.holes);
          const subset = p.split ? p.subset : 'train';
          const o: MakeTfDatasetOptions = {
            features: ['price', 'x'],
            targets: ['y'],
            windowSize: p.windowSize,
            horizon: p.horizon,
            stride: p.stride,
            samplingRate: p.samplingRate,
            batchSize: 7,
            timestampColumn: 't',
            ...(p.useGap ? { maxGap: HOUR } : {}),
            ...(p.logReturn ? { logReturns: ['price'] } : {}),
            ...(p.split ? { split: { train: p.split[0], validation: p.split[1], test: 1 - p.split[0] - p.split[1] }, subset } : {}),
          };
          const ds = await makeTfDataset(partsSource(s, [Math.ceil(p.n / 3), 5], p.chunkRows), o);
          let range: [number, number] = [0, p.n];
          if (p.split) {
            const a = Math.floor(p.split[0] * p.n);
            const b = a + Math.floor(p.split[1] * p.n);
            range = subset === 'train' ? [0, a] : subset === 'validation' ? [a, b] : [b, p.n];
          }
          const cols = s as unknown as Record<string, Float64Array>;
          const ref = referenceWindows(cols, {
            ...o,
            ts: s.t,
            range,
            lead: p.logReturn ? 1 : 0,
            transform: (c, row) => (c === 'price' && p.logReturn ? Math.log(s.price[row]! / s.price[row - 1]!) : cols[c]![row]!),
          });
          const got = await collect(ds);
          expect(ds.windowsPerEpoch).to.equal(ref.starts.length);
          expect(ds.size).to.equal(Math.ceil(ref.starts.length / 7));
          expect(got.xs.length).to.equal(ds.size);
          expect(windowsOf(got.xs, p.windowSize * 2)).to.deep.equal(ref.xs);
          expect(windowsOf(got.ys, p.horizon)).to.deep.equal(ref.ys);
        },
      ),
      { numRuns: 150, seed: 20261129 },
    );
  });

  it('matches the naive definition across many compactions of the carry buffer (contiguous-copy path)', async () => {
    const s = series(12_000, [5000, 9000]);
    const o: MakeTfDatasetOptions = { features: ['x', 'y'], targets: ['x'], windowSize: 30, horizon: 2, timestampColumn: 't', maxGap: HOUR, batchSize: 256 };
    const ds = await makeTfDataset(partsSource(s, [7001], 999), o);
    const ref = referenceWindows(s as unknown as Record<string, Float64Array>, { ...o, ts: s.t });
    const got = await collect(ds);
    expect(ds.windowsPerEpoch).to.equal(ref.starts.length);
    expect(windowsOf(got.xs, 60)).to.deep.equal(ref.xs);
    expect(windowsOf(got.ys, 2)).to.deep.equal(ref.ys);
  });

  it('keeps splits apart: no validation timestamp inside a training window, statistics of the train range only', async () => {
    const n = 300;
    const s = series(n, [40, 200]);
    const cut = s.t[210]!;
    const cut2 = s.t[260]!;
    const common: MakeTfDatasetOptions = {
      features: ['t', 'price', 'x'],
      targets: ['t'],
      windowSize: 10,
      horizon: 3,
      timestampColumn: 't',
      split: { train: { to: cut }, validation: { from: cut, to: cut2 }, test: { from: cut2 } },
      normalize: { price: 'zscore', x: 'minmax' },
      batchSize: 16,
    };
    const train = await makeTfDataset(columnsSource(s, { chunkRows: 37 }), common);
    const val = await makeTfDataset(columnsSource(s, { chunkRows: 37 }), { ...common, subset: 'validation' });
    // t is a feature and a target (normalize 'none'), so every step's timestamp can be checked (float32-rounded)
    const timesOf = async (ds: typeof train) => {
      const got = await collect(ds);
      return [...got.xs.flat().filter((_, i) => i % 3 === 0), ...got.ys.flat()];
    };
    const trainTimes = await timesOf(train);
    const valTimes = await timesOf(val);
    expect(trainTimes.length).to.be.above(100);
    expect(Math.max(...trainTimes)).to.be.below(Math.fround(cut));
    expect(Math.min(...valTimes)).to.be.at.least(Math.fround(cut));
    expect(Math.max(...valTimes)).to.be.below(Math.fround(cut2));
    // statistics: rows 0..209 only (t < cut), population std
    const trainPrices = Array.from(s.price.subarray(0, 210));
    const mean = trainPrices.reduce((a, b) => a + b, 0) / 210;
    const std = Math.sqrt(trainPrices.reduce((a, b) => a + (b - mean) ** 2, 0) / 210);
    const st = train.normalization.columns;
    expect(st.price!.count).to.equal(210);
    expect(st.price!.mean).to.be.closeTo(mean, 1e-9);
    expect(st.price!.std).to.be.closeTo(std, 1e-9);
    expect([st.x!.min, st.x!.max]).to.deep.equal([0, 209]);
    expect(val.normalization).to.deep.equal(train.normalization);
  });

  it('computes log returns before normalising, with statistics over the returns inside the train part', async () => {
    const s = series(100);
    const ds = await makeTfDataset(columnsSource(s, { chunkRows: 7 }), {
      features: ['price'], targets: ['price'], windowSize: 3, logReturns: ['price'], normalize: 'zscore', split: { train: 0.6, test: 0.4 }, batchSize: 1000,
    });
    const returns = Array.from({ length: 59 }, (_, i) => Math.log(s.price[i + 1]! / s.price[i]!)); // rows 1..59
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / returns.length);
    const st = ds.normalization.columns.price!;
    expect([st.logReturn, st.count]).to.deep.equal([true, 59]);
    expect(st.mean).to.be.closeTo(mean, 1e-12);
    expect(st.std).to.be.closeTo(std, 1e-12);
    const got = await collect(ds);
    // first window starts at row 1 (row 0 has no previous price): inputs are returns of rows 1, 2, 3
    expect(got.xs[0]!.slice(0, 3)).to.deep.equal(returns.slice(0, 3).map((r) => Math.fround((r - mean) / std)));
    expect(ds.windowsPerEpoch).to.equal(60 - 1 - 3);
  });

  it('refuses to normalise from an empty train part', async () => {
    const s = series(20);
    const err = await makeTfDataset(columnsSource(s), { features: ['x'], targets: ['x'], windowSize: 2, normalize: 'zscore', timestampColumn: 't', split: { train: { to: 0 }, test: { from: 0 } }, subset: 'test' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.contain('makeTfDataset: cannot normalise "x": the train part (rows 0..0) has no values for it');
  });

  it('applies given statistics at inference instead of recomputing them', async () => {
    const s = series(60);
    const trained = await makeTfDataset(columnsSource(s), { features: ['x'], targets: ['x'], windowSize: 2, normalize: 'minmax', split: { train: 0.5, test: 0.5 } });
    expect([trained.normalization.columns.x!.min, trained.normalization.columns.x!.max]).to.deep.equal([0, 29]);
    const infer = await makeTfDataset(columnsSource(s), { features: ['x'], targets: ['x'], windowSize: 2, normalization: JSON.parse(JSON.stringify(trained.normalization)), batchSize: 100 });
    const got = await collect(infer);
    expect(got.xs[0]!.slice(0, 2)).to.deep.equal([0, Math.fround(1 / 29)]);
    expect(got.ys[0]!.at(-1)).to.equal(Math.fround(59 / 29));
  });

  it('shuffles windows deterministically for a seed, differently per epoch, keeping every window once', async () => {
    const s = series(200);
    const o: MakeTfDatasetOptions = { features: ['x'], targets: ['y'], windowSize: 5, batchSize: 16, shuffle: true, shuffleBufferSize: 32, seed: 99 };
    // Two datasets over the same units with the same seed draw the same order (units are what is shuffled).
    const a = await makeTfDataset(columnsSource(s, { chunkRows: 13 }), o);
    const b = await makeTfDataset(columnsSource(s, { chunkRows: 13 }), o);
    const a1 = await collect(a);
    const b1 = await collect(b);
    expect(a1.xs).to.deep.equal(b1.xs);
    const a2 = await collect(a);
    expect(a2.xs).to.not.deep.equal(a1.xs);
    const starts = windowsOf(a1.xs, 5).map((w) => w[0]!);
    expect(starts).to.not.deep.equal([...starts].sort((p, q) => p - q));
    expect([...starts].sort((p, q) => p - q)).to.deep.equal(Array.from({ length: 195 }, (_, i) => i));
    expect(a1.ys.flat()).to.deep.equal(starts.map((st) => 1005 + st));
  });

  for (const shuffle of [false, true]) {
    it(`resumes from state() with the same next batch (shuffle ${shuffle})`, async () => {
      const s = series(150);
      const o: MakeTfDatasetOptions = { features: ['x'], targets: ['y'], windowSize: 4, batchSize: 10, shuffle, seed: 5, dropRemainder: shuffle };
      const full = await makeTfDataset(columnsSource(s, { chunkRows: 9 }), o);
      expect(full.size).to.equal(shuffle ? 14 : 15); // 146 windows
      const epoch0 = await collect(full);
      const epoch1 = await collect(full);
      expect(full.state()).to.deep.equal({ version: 1, epoch: 2, batchIndex: 0, seed: 5 });

      const first = await makeTfDataset(columnsSource(s, { chunkRows: 9 }), o);
      await collect(first);
      await collect(first, 6); // stop inside epoch 1
      const state = first.state();
      expect(state).to.deep.equal({ version: 1, epoch: 1, batchIndex: 6, seed: 5 });
      const resumed = await makeTfDataset(columnsSource(s, { chunkRows: 9 }), { ...o, seed: undefined, resumeFrom: JSON.parse(JSON.stringify(state)) });
      const rest = await collect(resumed);
      expect(rest.xs).to.deep.equal(epoch1.xs.slice(6));
      expect(rest.ys).to.deep.equal(epoch1.ys.slice(6));
      expect(resumed.state()).to.deep.equal({ version: 1, epoch: 2, batchIndex: 0, seed: 5 });
      expect(epoch0.xs).to.have.length(full.size);
    });
  }

  it('does not count an iterator that was never read as an epoch (fitDataset creates one)', async () => {
    const ds = await makeTfDataset(columnsSource(series(30)), { features: ['x'], targets: ['y'], windowSize: 3 });
    await ds.iterator();
    expect(ds.state().epoch).to.equal(0);
  });

  it('leaks no tensor over an epoch whose batches the consumer disposes', async () => {
    const ds = await makeTfDataset(columnsSource(series(500), { chunkRows: 64 }), { features: ['x', 'price'], targets: ['y'], windowSize: 8, horizon: 2, batchSize: 32, shuffle: true, seed: 1 });
    const before = tf.memory().numTensors;
    let batches = 0;
    await ds.forEachAsync((e) => {
      batches++;
      tf.dispose(e);
    });
    expect(batches).to.equal(ds.size);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('forEachAsync and toArray give the batches next() gives, dispose as tf.data does, and count as an epoch', async () => {
    const options: MakeTfDatasetOptions = { features: ['x', 'price'], targets: ['y'], windowSize: 5, batchSize: 16, shuffle: true, seed: 3 };
    const reference = await collect(await makeTfDataset(columnsSource(series(300), { chunkRows: 50 }), options));
    const ds = await makeTfDataset(columnsSource(series(300), { chunkRows: 50 }), options);
    const before = tf.memory().numTensors;
    const seen: { xs: number[][]; ys: number[][] } = { xs: [], ys: [] };
    // An async f reads its batch after an await: the batch is disposed only once f settles.
    await ds.forEachAsync(async (e) => {
      await new Promise((resolve) => setTimeout(resolve, 0));
      seen.xs.push(Array.from(e.xs.dataSync()));
      seen.ys.push(Array.from(e.ys.dataSync()));
    });
    expect(tf.memory().numTensors).to.equal(before);
    expect(seen.xs).to.have.length(ds.size);
    expect(seen).to.deep.equal({ xs: reference.xs.slice(0, ds.size), ys: reference.ys.slice(0, ds.size) });
    expect(ds.state()).to.deep.equal({ version: 1, epoch: 1, batchIndex: 0, seed: 3 });
    // A failing f ends the epoch with its error and leaks nothing.
    const failure = await ds.forEachAsync(() => {
      throw new Error('consumer failed');
    }).catch((e: unknown) => e);
    expect((failure as Error).message).to.equal('consumer failed');
    expect(tf.memory().numTensors).to.equal(before);
    const all = await ds.toArray();
    expect(all).to.have.length(ds.size);
    expect(tf.memory().numTensors).to.equal(before + 2 * ds.size);
    const epoch2 = await collect(await makeTfDataset(columnsSource(series(300), { chunkRows: 50 }), { ...options, resumeFrom: { version: 1, epoch: 2, batchIndex: 0, seed: 3 } }));
    expect(all.map((b) => Array.from(b.xs.dataSync()))).to.deep.equal(epoch2.xs.slice(0, ds.size));
    tf.dispose(all);
    expect(ds.state()).to.deep.equal({ version: 1, epoch: 3, batchIndex: 0, seed: 3 });
  });

  it('refuses a source whose timestamps go back in time', async () => {
    const s = series(10);
    s.t[4] = s.t[2]!;
    const err = await makeTfDataset(columnsSource(s), { features: ['x'], targets: ['y'], windowSize: 2, timestampColumn: 't', maxGap: HOUR }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TfplError);
    expect((err as Error).message).to.contain('makeTfDataset: timestamps go back in time at row 4');
  });
});
