import { expect } from 'chai';
import type { ColumnBatch } from '../../src/schema/columns.js';
import { makeTfDataset, type MakeTfDatasetOptions } from '../../src/index.js';
import { parseOptions } from '../../src/options.js';
import { makeTfDatasetSchema } from '../../src/tfjs/make-tf-dataset.js';
import { checkWindowRules } from '../../src/windowing/dataset-plan.js';
import { checkFollowRules, followConfigOf, followKeys } from '../../src/windowing/follow-plan.js';
import { FollowBatchBuilder, FollowWindows } from '../../src/windowing/follow-windows.js';
import { createPrng } from '../../src/windowing/prng.js';
import { columnsSource } from '../../src/windowing/window-source.js';
import type { WindowBatch } from '../../src/windowing/window-writer.js';
import { byValue, datasetWindows } from './helpers.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/**
 * Rows of four series as a collector would append them, tick after tick: `a` every hour, `b` with gaps
 * longer than maxGap, `c` starting late, `d` stopping early; prices a random walk. Ticks are cut into
 * commits of random sizes; rows of one tick are interleaved across series.
 */
function market(seed: number): { rows: { coin: string; timestamp: number; price: number; volume: number }[]; commits: number[] } {
  const rng = createPrng(seed);
  const price: Record<string, number> = { a: 100, b: 50, c: 10, d: 1 };
  const rows: { coin: string; timestamp: number; price: number; volume: number }[] = [];
  const tickEnds: number[] = [];
  for (let tick = 0; tick < 400; tick++) {
    for (const coin of ['a', 'b', 'c', 'd']) {
      if (coin === 'b' && tick % 97 > 90) continue; // gaps of 7 hours
      if (coin === 'c' && tick < 150) continue;
      if (coin === 'd' && tick > 220) continue;
      price[coin]! *= Math.exp((rng.nextInt(2001) - 1000) / 50_000);
      // Collected at a jittered time inside the hour.
      rows.push({ coin, timestamp: T0 + tick * HOUR + rng.nextInt(600_000), price: price[coin]!, volume: rng.nextInt(1000) });
    }
    tickEnds.push(rows.length);
  }
  const commits: number[] = [];
  for (let t = 0; t < tickEnds.length; ) {
    t = Math.min(tickEnds.length, t + 1 + rng.nextInt(12));
    commits.push(tickEnds[t - 1]!);
  }
  return { rows, commits };
}

function columnsOf(rows: { coin: string; timestamp: number; price: number; volume: number }[]): ColumnBatch {
  return {
    numRows: rows.length,
    columns: {
      coin: rows.map((r) => r.coin),
      timestamp: Float64Array.from(rows, (r) => r.timestamp),
      price: Float64Array.from(rows, (r) => r.price),
      volume: Float64Array.from(rows, (r) => r.volume),
    },
  };
}

/** Every window the follow engine gives when the rows arrive commit by commit, each once. */
function followWindows(options: MakeTfDatasetOptions, normalization: Parameters<typeof followConfigOf>[3], batches: ColumnBatch[], batchSize: number): number[][] {
  const o = parseOptions('test', makeTfDatasetSchema, options);
  const { split } = checkWindowRules('test', o, options as Record<string, unknown>);
  checkFollowRules('test', o, split, options as Record<string, unknown>);
  const config = followConfigOf('test', o, split, normalization, followKeys('test', o));
  let engine = new FollowWindows(config);
  const builder = new FollowBatchBuilder(batchSize, (n): WindowBatch => ({ size: n, xs: new Float32Array(n * o.windowSize * o.features.length), ys: new Float32Array(n * o.horizon * o.targets.length) }));
  const out: number[][] = [];
  const per = o.windowSize * o.features.length;
  const perY = o.horizon * o.targets.length;
  const drain = (b: WindowBatch | null) => {
    if (!b) return;
    for (let k = 0; k < b.size; k++) out.push([...b.xs.subarray(k * per, (k + 1) * per), ...b.ys.subarray(k * perY, (k + 1) * perY)]);
  };
  for (const [c, batch] of batches.entries()) {
    for (let at = 0; at < batch.numRows; ) {
      at = engine.feed(batch, at, builder);
      if (builder.full) drain(builder.take());
    }
    drain(builder.take());
    // Half way, a restart from the state: the engine goes on as if nothing happened.
    if (c === Math.floor(batches.length / 2)) engine = new FollowWindows(followConfigOf('test', o, split, normalization, followKeys('test', o)), JSON.parse(JSON.stringify(engine.state())));
  }
  return out;
}

describe('FollowWindows: windows of rows that arrive commit by commit', function () {
  this.timeout(60_000);
  const { rows, commits } = market(7);
  const all = columnsOf(rows);
  const batches = commits.map((end, k) => columnsOf(rows.slice(k === 0 ? 0 : commits[k - 1]!, end)));

  const variants: [string, MakeTfDatasetOptions][] = [
    ['log returns, zscore per series, maxGap, horizon 2', { features: ['price', 'volume'], targets: ['price'], windowSize: 6, horizon: 2, logReturns: ['price'], normalize: 'zscore', seriesColumns: ['coin'], timestampColumn: 'timestamp', maxGap: 2 * HOUR, batchSize: 16 }],
    ['stride 3, samplingRate 2, a time split (train part)', { features: ['price'], targets: ['price', 'volume'], windowSize: 4, stride: 3, samplingRate: 2, normalize: 'minmax', seriesColumns: ['coin'], timestampColumn: 'timestamp', maxGap: 3 * HOUR, split: { train: { to: T0 + 300 * HOUR }, test: { from: T0 + 300 * HOUR } }, batchSize: 7 }],
    ['the test part of the same split, stride 2, global statistics', { features: ['price'], targets: ['price'], windowSize: 5, stride: 2, logReturns: ['price'], normalize: 'zscore', normalizeBy: 'global', seriesColumns: ['coin'], timestampColumn: 'timestamp', split: { train: { to: T0 + 300 * HOUR }, test: { from: T0 + 300 * HOUR } }, subset: 'test', batchSize: 32 }],
  ];

  for (const [name, options] of variants) {
    it(`every window of the rows read at once, each exactly once, restarted half way: ${name}`, async () => {
      const source = columnsSource(all.columns as never, { chunkRows: 97 });
      const oneShot = await datasetWindows(source, options);
      const { normalization } = await makeTfDataset(columnsSource(all.columns as never), options);
      const followed = followWindows({ ...options, normalization, normalize: undefined }, normalization, batches, options.batchSize ?? 32);
      expect(oneShot.length).to.be.greaterThan(100);
      expect(followed.length).to.equal(oneShot.length);
      expect(followed.sort(byValue)).to.deep.equal(oneShot.sort(byValue));
    });
  }

  it('the newest inputs of a series are the inputs of the window its next row will complete', async () => {
    const options: MakeTfDatasetOptions = { features: ['price'], targets: ['price'], windowSize: 6, logReturns: ['price'], normalize: 'zscore', seriesColumns: ['coin'], timestampColumn: 'timestamp', maxGap: 2 * HOUR, batchSize: 64 };
    const { normalization } = await makeTfDataset(columnsSource(all.columns as never), options);
    const o = parseOptions('test', makeTfDatasetSchema, { ...options, normalization, normalize: undefined });
    const { split } = checkWindowRules('test', o, {});
    const keys = followKeys('test', o)!;
    const engine = new FollowWindows(followConfigOf('test', o, split, normalization, keys));
    const builder = new FollowBatchBuilder(1, (n) => ({ size: n, xs: new Float32Array(n * 6), ys: new Float32Array(n) }));
    let checked = 0;
    for (let i = 0; i < all.numRows; i++) {
      const one = columnsOf(rows.slice(i, i + 1));
      const s = keys.lookup(JSON.stringify([rows[i]!.coin]));
      const before = s >= 0 ? engine.latestInputs(s) : null;
      engine.feed(one, 0, builder);
      const window = builder.take();
      // A window completed by this row has, as inputs, the newest inputs of its series before the row.
      if (window && before) {
        expect(Array.from(window.xs)).to.deep.equal(Array.from(before.xs));
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(1000);
  });
});
