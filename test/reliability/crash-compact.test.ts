import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { compactStore } from '../../src/materialize/compact.js';
import { readStoreRecord } from '../../src/materialize/store-record.js';
import { compactedPartSequence, isDataFileName, TEMP_PREFIX } from '../../src/materialize/store-layout.js';
import { openStore, storeInternals } from '../../src/store/open-store.js';
import { duckRows, sdkRows, sortedBySeries, tickRows, rowText, writeTicks } from '../materialize/fixtures/market-ticks.js';
import { ScriptChild } from './child-process.js';
import { reliabilityCounts } from './counts.js';

/**
 * Crash safety of compactStore. A child compacts a store of 6 one-tick parts (24 rows → a part of one full
 * row group of 16 and a part of 8) and SIGKILLs itself at one of its file-system operations. The kill points
 * are: before the first operation, and after each operation that changes the disk (creates, writes,
 * truncates, fsyncs, renames, unlinks). Between two such operations the folder does not change, so a kill
 * anywhere else (at a read, or just before the next change) leaves what one of these leaves. A power-loss run does the same in every durable state (before
 * the first operation and after each fsync), dropping what was not yet fsynced. After every kill the store
 * must open with exactly the rows it had (for this SDK and for DuckDB over the parts `_metadata` lists),
 * compacted exactly when the commit rename (or, after a power loss, the folder fsync after it) happened;
 * the next compaction and the next append must succeed and leave no debris.
 */

const TICKS = 6;
const ROW_GROUP = 16;

/** Operations that change the folder (an `open` of anything but a part creates a file or opens the folder to sync it). */
const MUTATING = /^(open (?!part-)|fh\.(write|writeFile|truncate|sync) |rename |unlink |mkdir )/;

describe('reliability: SIGKILL and power loss during compactStore', function () {
  this.timeout(300_000);
  let root: string;
  let template: string;
  let ops: string[];
  let expectedRows: string[];
  let expectedDuck: string[];
  let appendedDuck: string[];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tfpl-crash-compact-'));
    template = join(root, 'template');
    await writeTicks(template, 0, TICKS);
    expectedRows = sortedBySeries(await sdkRows(template));
    expectedDuck = await duckRows(template);
    appendedDuck = sortedBySeries([...expectedDuck, ...tickRows(TICKS).map(rowText)]);
    const dir = join(root, 'trace');
    cpSync(template, dir, { recursive: true });
    const child = await ScriptChild.start('compact-child.ts', [dir, String(ROW_GROUP)], { TFPL_FAULT_TRACE: '1' });
    expect((await child.exited).code, child.stderr).to.equal(0);
    ops = child.lines.filter((l) => l.startsWith('op ')).map((l) => l.split(' ').slice(2).join(' '));
    expect(child.lines.at(-1)).to.equal('compacted compacted 2');
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  /** The commit: the _metadata rename, and the folder fsync that makes it durable. */
  const commit = () => {
    const rename = ops.findIndex((o) => o === 'rename .tfpl-tmp-_metadata.tmp->_metadata');
    const dirSync = ops.findIndex((o, i) => i > rename && o === 'fh.sync trace');
    return { rename, dirSync };
  };

  /** Checks a store after a kill: the rows it had, compacted or not; then the next compaction and append clean up. */
  async function trial(index: number, when: 'before' | 'after', powerLoss: boolean): Promise<'compacted' | 'not compacted'> {
    const dir = join(root, `${index}-${when}${powerLoss ? '-power' : ''}`);
    cpSync(template, dir, { recursive: true });
    const env: NodeJS.ProcessEnv = { TFPL_FAULT_KILL_AT: `${index}:${when}` };
    if (powerLoss) env.TFPL_FAULT_POWER_LOSS = dir;
    const child = await ScriptChild.start('compact-child.ts', [dir, String(ROW_GROUP)], env);
    const exit = await child.exited;
    const op = `${powerLoss ? 'power loss' : 'SIGKILL'} ${when} op ${index} ${ops[index]}`;
    expect(exit, `${op}: the child must die by SIGKILL; stderr ${child.stderr.slice(-500)}`).to.deep.equal({ code: null, signal: 'SIGKILL' });

    const { rename, dirSync } = commit();
    const durableAt = powerLoss ? dirSync : rename;
    const committed = index > durableAt || (index === durableAt && when === 'after');
    const store = await openStore(dir);
    expect(store.files.some((f) => compactedPartSequence(f.path) >= 0), `${op}: compacted`).to.equal(committed);
    expect(store.numRows, op).to.equal(4 * TICKS);
    expect(sortedBySeries(await sdkRows(store)), `${op}: rows read by this SDK`).to.deep.equal(expectedRows);
    expect(await duckRows(dir), `${op}: rows read by DuckDB`).to.deep.equal(expectedDuck);

    // The next compaction takes over the dead one's lock, removes what it left, and compacts (or has nothing to do).
    const next = await compactStore(dir, { rowGroupSize: ROW_GROUP });
    expect(next.outcome, op).to.equal(committed ? 'unchanged' : 'compacted');
    await writeTicks(dir, TICKS, 1);
    const after = await openStore(dir);
    expect(await duckRows(dir), `${op}: after the next compaction and append`).to.deep.equal(appendedDuck);
    const replaced = readStoreRecord(storeInternals(after).rawTemplate, dir).replaced;
    const listed = new Set(after.files.map((f) => f.path));
    const names = readdirSync(dir);
    expect(
      { temps: names.filter((n) => n.startsWith(TEMP_PREFIX)), locks: names.filter((n) => n.endsWith('.lock')), unlisted: names.filter((n) => isDataFileName(n) && !listed.has(n) && !replaced.has(n)) },
      `${op}: debris after the next compaction and append`,
    ).to.deep.equal({ temps: [], locks: [], unlisted: [] });
    reliabilityCounts.add(powerLoss ? 'crash.powerLoss.compact.trials' : 'crash.compact.killPoints', 1);
    if (!powerLoss) reliabilityCounts.add('crash.kills', 1);
    rmSync(dir, { recursive: true, force: true });
    return committed ? 'compacted' : 'not compacted';
  }

  it('syncs every part before its rename and the folder before the commit, and takes the writers\' lock only to commit', () => {
    const { rename } = commit();
    const lock = ops.indexOf('open _tfpl.lock');
    const firstPart = ops.findIndex((o) => o.startsWith(`open ${TEMP_PREFIX}part-`));
    expect(firstPart).to.be.greaterThan(0);
    // the rewrite (both parts written and synced) happens before the writers' lock is taken
    expect(ops.filter((o, i) => i > lock && o.startsWith(`fh.write ${TEMP_PREFIX}part-`))).to.deep.equal([]);
    expect(lock).to.be.within(firstPart + 1, rename - 1);
    for (const [i, o] of ops.entries()) {
      if (!o.startsWith(`rename ${TEMP_PREFIX}part-`)) continue;
      const tmp = o.slice('rename '.length).split('->')[0]!;
      expect(ops.slice(0, i).lastIndexOf(`fh.sync ${tmp}`), `${tmp} synced before its rename`).to.be.greaterThan(-1);
    }
    expect(ops.slice(0, rename).lastIndexOf(`fh.sync ${basename(join(root, 'trace'))}`), 'the folder synced between the part renames and the commit').to.be.greaterThan(ops.findLastIndex((o) => o.startsWith(`rename ${TEMP_PREFIX}part-`)));
  });

  it('a SIGKILL at every point where the disk changes leaves exactly the rows the store had, compacted or not', async () => {
    const points: [number, 'before' | 'after'][] = [[0, 'before'], ...ops.flatMap((o, i) => (MUTATING.test(o) ? [[i, 'after'] as [number, 'after']] : []))];
    const outcomes = { compacted: 0, 'not compacted': 0 };
    await inLanes(points, async ([i, when]) => {
      outcomes[await trial(i, when, false)]++;
    });
    expect(outcomes.compacted).to.be.greaterThan(0);
    expect(outcomes['not compacted']).to.be.greaterThan(0);
    console.log(`      ${points.length} kill points (before the first of ${ops.length} operations, and after each of the ${points.length - 1} that change the disk): ${outcomes['not compacted']} left the store as it was, ${outcomes.compacted} compacted`);
  });

  it('a power loss in every durable state leaves exactly the rows the store had, compacted once the commit is durable', async () => {
    const syncs = ops.flatMap((o, i) => (o.startsWith('fh.sync ') ? [i] : []));
    const points: [number, 'before' | 'after'][] = [[0, 'before'], ...syncs.map((i) => [i, 'after'] as [number, 'after'])];
    await inLanes(points, async ([i, when]) => {
      await trial(i, when, true);
    });
    console.log(`      ${points.length} power-loss trials (before the first operation and after each of ${syncs.length} fsyncs)`);
  });
});

/** Runs `run` over `items` in two lanes at once (two cores; a child spends most of its life starting up). */
async function inLanes<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  const lanes: T[][] = [[], []];
  items.forEach((x, i) => lanes[i % 2]!.push(x));
  await Promise.all(lanes.map(async (lane) => {
    for (const x of lane) await run(x);
  }));
}
