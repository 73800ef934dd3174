import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { makeBatchReader, makeTfDataset, type MakeTfDatasetOptions, materializeDataset, openStore, type Store } from '../../src/index.js';
import type { FollowDataset } from '../../src/tfjs/follow-dataset.js';
import { createPrng } from '../../src/windowing/prng.js';
import { useTmpDir } from '../tmp-dir.js';
import { byValue, datasetWindows } from '../windowing/helpers.js';
import { ScriptChild } from './child-process.js';
import { reliabilityCounts } from './counts.js';
import { type AppendChildConfig, CrashSchema, crashRows } from './fixtures/crash-rows.js';
import { expectCleanStore, verifyCrashStore } from './store-check.js';

const WRITER: AppendChildConfig = { calls: 1000, rowsPerCall: 37, rowGroupSize: 20, maxRowsPerFile: 40, firstMode: 'append', mode: 'append', faultCall: -1 };
const OPTIONS: MakeTfDatasetOptions = { features: ['price_usd', 'market_cap'], targets: ['market_cap'], windowSize: 8, timestampColumn: 'timestamp', maxGap: 3_600_000, batchSize: 32 };

/** Every market_cap of a snapshot: the crash rows hold market_cap = row index, so a whole commit reads 0..n-1. */
async function capsOf(store: Store): Promise<number[]> {
  const out: number[] = [];
  for await (const b of await makeBatchReader(store, { columns: ['market_cap'], workers: 0 })) out.push(...(b.columns.market_cap as Float64Array));
  return out;
}

describe('reliability: a store followed while its writer is SIGKILLed mid-commit', function () {
  this.timeout(180_000);
  const tmp = useTmpDir();

  it('every snapshot the follower opens is a whole commit, none torn, and its windows are the final store\'s, each once', async () => {
    const dir = join(tmp(), 'market');
    await materializeDataset(dir, CrashSchema, crashRows(0, 200), { rowGroupSize: 50 });
    const { normalization } = await makeTfDataset(dir, { ...OPTIONS, normalize: 'zscore' });
    const options = { ...OPTIONS, normalization };
    const stop = new AbortController();
    // Two followers: the commits (each snapshot read whole and checked), and the windows.
    const snapshots: number[] = [];
    const torn: string[] = [];
    const watching = (async () => {
      for await (const s of (await openStore(dir)).watch({ intervalMs: 5, signal: stop.signal })) {
        const caps = await capsOf(s);
        snapshots.push(s.numRows);
        if (caps.length !== s.numRows || caps.some((c, i) => c !== i)) torn.push(`${s.commitId}: ${caps.length} rows read of ${s.numRows}`);
      }
    })();
    const ds = (await makeTfDataset(dir, { ...options, follow: { intervalMs: 10 }, signal: stop.signal })) as FollowDataset;
    const seen: number[][] = [];
    const following = (async () => {
      const it = await ds.iterator();
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        const xs = r.value.xs.dataSync();
        const ys = r.value.ys.dataSync();
        const per = 8 * 2;
        for (let k = 0; k < r.value.ys.shape[0]!; k++) seen.push([...xs.subarray(k * per, (k + 1) * per), ys[k]!]);
        tf.dispose(r.value);
      }
    })();
    const rng = createPrng(7);
    const kills: string[] = [];
    for (let trial = 0; trial < 6; trial++) {
      const child = await ScriptChild.start('append-child.ts', [dir, JSON.stringify(WRITER)]);
      await child.waitForLine((l) => l.startsWith('ready '));
      await new Promise((r) => setTimeout(r, 50 + rng.nextInt(400)));
      child.kill('SIGKILL');
      await child.exited;
      // Where it died: inside a call (after its begin line, before its committed line) or between two.
      const begun = child.lines.filter((l) => l.startsWith('begin ')).length;
      const committed = child.lines.filter((l) => l.startsWith('committed ')).length;
      kills.push(begun > committed ? 'mid-commit' : 'between commits');
      reliabilityCounts.add('follow.writerKills', 1);
    }
    // The next write removes what the kills left; the store holds rows 0..n-1.
    const rows = await verifyCrashStore(dir);
    await materializeDataset(dir, CrashSchema, crashRows(rows, 37), { mode: 'append', rowGroupSize: 20 });
    await expectCleanStore(dir);
    const expected = await datasetWindows(dir, options);
    for (const end = Date.now() + 30_000; seen.length < expected.length && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    await Promise.all([watching, following]);
    console.log(`      ${kills.filter((k) => k === 'mid-commit').length} of ${kills.length} kills inside a commit; ${snapshots.length} snapshots opened whole; ${seen.length} windows followed`);
    expect(kills).to.include('mid-commit');
    expect(torn).to.deep.equal([]);
    expect(snapshots.length).to.be.greaterThan(2);
    for (let k = 1; k < snapshots.length; k++) expect(snapshots[k]).to.be.greaterThan(snapshots[k - 1]!);
    expect(seen.length).to.equal(expected.length);
    expect(seen.sort(byValue)).to.deep.equal(expected.sort(byValue));
  });
});
