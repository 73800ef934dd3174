import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { defineSchema, makeTfDataset, materializeDataset, type MakeTfDatasetOptions, openStore, serveStore } from '../../src/index.js';
import type { FollowDataset } from '../../src/tfjs/follow-dataset.js';
import { createPrng } from '../../src/windowing/prng.js';
import { S3RVER_KEY, startS3rver, type S3TestServer } from '../s3-server.js';
import { useTmpDir } from '../tmp-dir.js';
import { byValue, datasetWindows } from '../windowing/helpers.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const TickSchema = defineSchema('TickSchema', [
  { name: 'coin', dtype: 'string' },
  { name: 'timestamp', dtype: 'timestamp' },
  { name: 'price', dtype: 'float64' },
  { name: 'volume', dtype: 'float64' },
]);
type Tick = { coin: string; timestamp: Date; price: number; volume: number };

/**
 * Ticks of four series as a collector appends them: `a` every hour, `b` with 7-hour gaps, `c` from tick 40,
 * `d` stopping at tick 90; a tick's rows are one commit, ticks come at random intervals.
 */
function ticks(seed: number, n: number): Tick[][] {
  const rng = createPrng(seed);
  const price: Record<string, number> = { a: 100, b: 50, c: 10, d: 1 };
  const out: Tick[][] = [];
  for (let t = 0; t < n; t++) {
    const rows: Tick[] = [];
    for (const coin of ['a', 'b', 'c', 'd']) {
      if ((coin === 'b' && t % 31 > 24) || (coin === 'c' && t < 40) || (coin === 'd' && t > 90)) continue;
      price[coin]! *= Math.exp((rng.nextInt(2001) - 1000) / 50_000);
      rows.push({ coin, timestamp: new Date(T0 + t * HOUR + rng.nextInt(600_000)), price: price[coin]!, volume: rng.nextInt(1000) });
    }
    out.push(rows);
  }
  return out;
}

// Global statistics: series c starts after the store was first opened, so it has none of its own.
const OPTIONS: MakeTfDatasetOptions = { features: ['price', 'volume'], targets: ['price'], windowSize: 8, logReturns: ['price'], seriesColumns: ['coin'], timestampColumn: 'timestamp', maxGap: 2 * HOUR, normalizeBy: 'global', batchSize: 16 };

/** Resolves once `ready` holds (checked every 10 ms); fails after `ms`. */
async function waitFor(ready: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`${what()} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Windows of a follow as plain arrays, until `until` holds (checked after each batch) or the follow ends. */
async function take(ds: FollowDataset, until: () => boolean, seen: number[][]): Promise<void> {
  const it = await ds.iterator();
  const per = 8 * 2;
  while (!until()) {
    const r = await it.next();
    if (r.done) return;
    const xs = r.value.xs.dataSync();
    const ys = r.value.ys.dataSync();
    for (let k = 0; k < r.value.ys.shape[0]!; k++) seen.push([...xs.subarray(k * per, (k + 1) * per), ys[k]!]);
    tf.dispose(r.value);
  }
}

describe('makeTfDataset follow: the windows of a store that grows, each once', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  let s3: S3TestServer;
  before(async () => {
    s3 = await startS3rver({ buckets: ['data'] });
  });
  after(async () => {
    await s3?.close();
  });

  async function writeAll(dir: string, batches: Tick[][], pauseMs: () => number, io: object = {}): Promise<void> {
    for (const rows of batches) {
      await materializeDataset(dir, TickSchema, rows, { mode: 'append', rowGroupSize: 1024, ...io });
      await new Promise((r) => setTimeout(r, pauseMs()));
    }
  }

  // Fewer commits remotely: an append to an object store is a dozen requests.
  for (const [where, commits] of [['local', 70], ['http', 40], ['s3', 16]] as const) {
    it(`${where}: the windows followed while a writer appends ${commits} commits at random intervals equal the windows of the final store read at once, each exactly once`, async () => {
      // Written where it is followed from: a folder (also served over HTTP), or a bucket.
      const io = where === 's3' ? { s3: { endpoint: s3.endpoint, credentials: S3RVER_KEY } } : {};
      const dir = where === 's3' ? 's3://data/market' : join(tmp(), 'market');
      const batches = ticks(3, 30 + commits);
      // The store as the follower finds it: its first 30 commits.
      for (const rows of batches.slice(0, 30)) await materializeDataset(dir, TickSchema, rows, { mode: 'append', rowGroupSize: 1024, ...io });
      const server = where === 'http' ? await serveStore(dir) : null;
      const url = server ? server.url : dir;
      const stop = new AbortController();
      // Statistics of the store as opened, given to both sides (a one-shot dataset would take the final store's).
      const { normalization } = await makeTfDataset(url, { ...OPTIONS, ...io, normalize: 'zscore' });
      const options = { ...OPTIONS, ...io, normalization };
      try {
        const ds = await makeTfDataset(url, { ...options, follow: { intervalMs: 20 }, signal: stop.signal });
        const rng = createPrng(11);
        const seen: number[][] = [];
        let written = false;
        const writer = writeAll(dir, batches.slice(30), () => rng.nextInt(30), io).then(() => (written = true));
        const final = async () => (await datasetWindows(dir, options)).length;
        let failed: unknown = null;
        const follower = take(ds, () => false, seen).catch((err: unknown) => {
          failed = err;
        });
        await writer;
        const expected = await final();
        expect(written).to.equal(true);
        await waitFor(() => seen.length >= expected || failed !== null, 30_000, () => `the follower has ${seen.length} of ${expected} windows`);
        if (failed) throw failed;
        // Stopped, the follow ends: its iterator returns.
        stop.abort();
        await follower;
        const oneShot = await datasetWindows(dir, options);
        expect(oneShot.length).to.be.greaterThan(40 + 3 * commits);
        expect(seen.length).to.equal(oneShot.length);
        expect(seen.sort(byValue)).to.deep.equal(oneShot.sort(byValue));
        expect(ds.windowsDelivered).to.equal(oneShot.length);
      } finally {
        stop.abort();
        await server?.close();
      }
    });
  }

  it('a follower stopped and resumed from its state() goes on with the next window: none twice, none missed', async () => {
    const dir = join(tmp(), 'market');
    const batches = ticks(5, 80);
    for (const rows of batches.slice(0, 20)) await materializeDataset(dir, TickSchema, rows, { mode: 'append', rowGroupSize: 1024 });
    const first = new AbortController();
    const ds = await makeTfDataset(dir, { ...OPTIONS, normalize: 'zscore', follow: { intervalMs: 20 }, signal: first.signal });
    const seen: number[][] = [];
    await take(ds, () => seen.length >= 20, seen);
    expect(seen.length).to.be.within(20, 40);
    const state = JSON.parse(JSON.stringify(ds.state()));
    first.abort();
    // While nobody follows, the store grows.
    for (const rows of batches.slice(20, 50)) await materializeDataset(dir, TickSchema, rows, { mode: 'append', rowGroupSize: 1024 });
    const second = new AbortController();
    const resumed = await makeTfDataset(dir, { ...OPTIONS, normalize: 'zscore', follow: { intervalMs: 20 }, signal: second.signal, resumeFrom: state });
    expect(resumed.normalization).to.deep.equal(ds.normalization);
    const writer = (async () => {
      for (const rows of batches.slice(50)) await materializeDataset(dir, TickSchema, rows, { mode: 'append', rowGroupSize: 1024 });
    })();
    await writer;
    const expected = (await datasetWindows(dir, { ...OPTIONS, normalization: ds.normalization })).length;
    const follower = take(resumed, () => false, seen);
    await waitFor(() => seen.length >= expected, 20_000, () => `the resumed follower has ${seen.length} of ${expected} windows`);
    second.abort();
    await follower;
    const oneShot = await datasetWindows(dir, { ...OPTIONS, normalization: ds.normalization });
    expect(seen.length).to.equal(oneShot.length);
    expect(seen.sort(byValue)).to.deep.equal(oneShot.sort(byValue));
  });

  it('refuses what a follow cannot honour, naming the option, before any read', async () => {
    const dir = join(tmp(), 'market');
    await materializeDataset(dir, TickSchema, ticks(1, 3).flat(), { mode: 'append' });
    const refused = async (o: Partial<MakeTfDatasetOptions>) => (await makeTfDataset(dir, { ...OPTIONS, follow: true, ...o } as MakeTfDatasetOptions).then(() => null, (e: Error) => e))?.message;
    expect(await refused({ shuffle: true })).to.equal('makeTfDataset: shuffle does not apply with follow: a followed store is read in time order, commit after commit');
    expect(await refused({ split: { train: 0.8, test: 0.2 } })).to.equal('makeTfDataset: a split by fractions does not apply with follow: the fractions of a growing store move; split by time ranges instead');
    expect(await refused({ timestampColumn: undefined, maxGap: undefined })).to.equal('makeTfDataset: follow needs timestampColumn: a row is new when it is newer than its series\' newest row taken');
    const notFollowing = await makeTfDataset(dir, { ...OPTIONS, signal: new AbortController().signal }).then(() => null, (e: Error) => e);
    expect(notFollowing?.message).to.equal('makeTfDataset: signal ends a following dataset; pass follow: true, or end an epoch by leaving its loop');
    expect((await openStore(dir)).numRows).to.equal(ticks(1, 3).flat().length);
  });
});
