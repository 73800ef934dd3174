import { expect } from 'chai';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { materializeDataset } from '../../src/materialize/materialize.js';
import { mulberry32 } from '../../src/prng.js';
import { ScriptChild } from './child-process.js';
import { type AppendChildConfig, CrashSchema, crashRows } from './fixtures/crash-rows.js';
import { debrisOf, expectCleanStore, phaseOf, verifyCrashStore } from './store-check.js';
import { reliabilityCounts } from './counts.js';
import { duck, lit } from '../duckdb.js';

/**
 * Crash safety of materializeDataset. A child process makes one create, append or overwrite call and SIGKILLs
 * itself exactly before or after its n-th file-system operation: before the first and after every one that
 * changes the disk (every distinct state a kill can leave), each from the same starting store. After every
 * kill the store must be exactly the state before the call (killed before its commit rename) or after it
 * (killed after), readable and consistent, and the next
 * write must succeed and remove what the crash left. A power-loss run does the same in every durable state (before
 * the first operation and after each fsync), but first drops every write, create, rename and unlink not yet followed by its fsync
 * (fs-faults.ts): the store must then be the state before the call, or after it once the commit's directory
 * fsync has returned. The traced operations show the fsync order that makes this hold.
 */

const ROWS_PER_CALL = 700;
const SEED_ROWS = 300;
// Two parts per call (two row groups and one): two part renames per commit, so a kill can land between them.
const CONFIG = (mode: 'create' | 'append' | 'overwrite'): AppendChildConfig => ({
  rowsPerCall: ROWS_PER_CALL,
  rowGroupSize: 250,
  maxRowsPerFile: 500,
  calls: 1,
  firstMode: 'create',
  mode: mode === 'overwrite' ? 'overwrite' : 'append',
  faultCall: 0,
});
const MODES = ['create', 'append', 'overwrite'] as const;
type Mode = (typeof MODES)[number];
/** Operations that change the disk (or may: every open, a create not being told apart from a read by name). */
const MUTATING = /^(open |fh\.(write|writeFile|truncate|sync) |rename |unlink |mkdir |writeFile |truncate )/;
/** Operations that only read. */
const READ_ONLY = /^(readdir |readFile |stat |fh\.(read|stat|close) )/;
const PHASES = ['between calls', 'holding the lock (before the first part, or after the commit)', 'parts renamed, not committed (or replaced, not deleted)', 'writing parts', 'writing summary files'];

/** Runs one call with tracing on and returns its file-system operations (`name file`), in order. */
async function traceCall(dir: string, mode: Mode): Promise<string[]> {
  const child = await ScriptChild.start('append-child.ts', [dir, JSON.stringify(CONFIG(mode))], { TFPL_FAULT_TRACE: '1' });
  const exit = await child.exited;
  expect(exit.code, child.stderr).to.equal(0);
  return child.lines.filter((l) => l.startsWith('op ')).map((l) => l.split(' ').slice(2).join(' '));
}

/** Index of the last operation matching `test` before `end` (exclusive), or -1. */
function lastBefore(ops: string[], end: number, test: (op: string) => boolean): number {
  for (let i = end - 1; i >= 0; i--) if (test(ops[i]!)) return i;
  return -1;
}

describe('reliability: SIGKILL and power loss during materializeDataset', function () {
  this.timeout(600_000);
  let root: string;
  let template: string;
  const ops = new Map<Mode, string[]>();
  const dirName = new Map<Mode, string>();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tfpl-crash-mat-'));
    template = join(root, 'template');
    await materializeDataset(template, CrashSchema, crashRows(0, SEED_ROWS), { rowGroupSize: 100 });
    await Promise.all(
      MODES.map(async (mode) => {
        const dir = join(root, `cal-${mode}`);
        if (mode !== 'create') cpSync(template, dir, { recursive: true });
        ops.set(mode, await traceCall(dir, mode));
        dirName.set(mode, basename(dir));
      }),
    );
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  /** Where the commit is: the `_metadata` rename, and the directory fsync that makes it durable. */
  function commitOf(mode: Mode): { rename: number; dirSync: number } {
    const list = ops.get(mode)!;
    const rename = lastBefore(list, list.length, (o) => o.startsWith('rename .tfpl-tmp-_metadata') && o.endsWith('->_metadata'));
    const dirSync = list.findIndex((o, i) => i > rename && o === `fh.sync ${dirName.get(mode)}`);
    return { rename, dirSync };
  }

  it('syncs every temporary file before its rename, the directory before the commit and before the lock is released', () => {
    for (const mode of MODES) {
      const list = ops.get(mode)!;
      const dir = dirName.get(mode)!;
      const renames = list.flatMap((o, i) => (o.startsWith('rename ') ? [i] : []));
      // 2 parts and _metadata; _common_metadata too unless an append keeps it; a create first commits 2 empty summaries
      expect(renames.length, `${mode}: renames`).to.equal({ create: 6, append: 3, overwrite: 4 }[mode]);
      for (const r of renames) {
        const tmp = list[r]!.slice('rename '.length).split('->')[0]!;
        const lastWrite = lastBefore(list, r, (o) => /^fh\.(write|writeFile|truncate) /.test(o) && o.endsWith(` ${tmp}`));
        const sync = lastBefore(list, r, (o) => o === `fh.sync ${tmp}`);
        expect(lastWrite, `${mode}: ${list[r]} has a write`).to.be.greaterThan(-1);
        expect(sync, `${mode}: ${tmp} is synced after its last write and before ${list[r]}`).to.be.greaterThan(lastWrite);
      }
      const { rename, dirSync } = commitOf(mode);
      const lastPartRename = lastBefore(list, list.length, (o) => o.startsWith('rename .tfpl-tmp-part-'));
      expect(lastBefore(list, rename, (o) => o === `fh.sync ${dir}`), `${mode}: the directory is synced between the part renames and the commit`).to.be.greaterThan(lastPartRename);
      const unlock = list.findIndex((o) => o === 'unlink _tfpl.lock');
      expect(unlock, `${mode}: the lock is released last`).to.equal(list.length - 1);
      expect(dirSync, `${mode}: the directory is synced after the commit, before the lock is released`).to.be.within(rename + 1, unlock - 1);
    }
  });

  /**
   * One trial: a fresh copy of the starting store, a child killed at (index, when), the store checked, then
   * this process appends 100 rows, which must succeed, clean up the debris and leave exactly those rows more.
   */
  async function trial(mode: Mode, index: number, when: 'before' | 'after', powerLoss: boolean, phases: Map<string, number> | null): Promise<void> {
    const dir = join(root, `${mode}-${index}-${when}${powerLoss ? '-power' : ''}`);
    if (mode !== 'create') cpSync(template, dir, { recursive: true });
    const env: NodeJS.ProcessEnv = { TFPL_FAULT_KILL_AT: `${index}:${when}` };
    if (powerLoss) env.TFPL_FAULT_POWER_LOSS = dir;
    const child = await ScriptChild.start('append-child.ts', [dir, JSON.stringify(CONFIG(mode))], env);
    const exit = await child.exited;
    const op = `${when} op ${index} ${ops.get(mode)![index]}`;
    expect(exit, `${mode} ${op}: the child must die by SIGKILL; stderr ${child.stderr.slice(-500)}`).to.deep.equal({ code: null, signal: 'SIGKILL' });
    if (phases) {
      const phase = phaseOf(await debrisOf(dir));
      phases.set(phase, (phases.get(phase) ?? 0) + 1);
    }
    const before = mode === 'create' ? 0 : SEED_ROWS;
    const after = mode === 'overwrite' ? ROWS_PER_CALL : before + ROWS_PER_CALL;
    const commit = commitOf(mode);
    const durableAt = powerLoss ? commit.dirSync : commit.rename;
    const committed = index > durableAt || (index === durableAt && when === 'after');
    const n = await verifyCrashStore(dir);
    expect(n, `${mode}${powerLoss ? ' with power loss' : ''} killed ${op}: rows in the store`).to.equal(committed ? after : before);
    reliabilityCounts.add(powerLoss ? `crash.powerLoss.${mode}.trials` : `crash.materialize.${mode}.killPoints`, 1);
    if (!powerLoss) reliabilityCounts.add('crash.kills', 1);

    await materializeDataset(dir, CrashSchema, crashRows(n, 100), { mode: n === 0 ? 'create' : 'append', rowGroupSize: 50, compression: 'snappy' });
    await expectCleanStore(dir);
    expect(await verifyCrashStore(dir), `after the next append (${mode} killed ${op})`).to.equal(n + 100);
    rmSync(dir, { recursive: true, force: true });
  }

  for (const mode of MODES) {
    it(`a SIGKILL at every point where the disk changes during a ${mode} leaves the store before or after the call, every phase hit`, async () => {
      const list = ops.get(mode)!;
      // Between two operations the disk does not change, and an operation that only reads leaves it as it was:
      // a kill before an operation is a kill after the one before it, and a kill after a read one is a kill
      // after the last one that changed the disk. So the distinct states a kill can leave are: before the
      // first operation, and after each operation that changes the disk (every open counts, since one that
      // creates a file is not told apart by name from one that reads).
      const readOnly = list.filter((o) => !MUTATING.test(o));
      expect(readOnly.filter((o) => !READ_ONLY.test(o)), `${mode}: operations neither known to change the disk nor known to read`).to.deep.equal([]);
      const points: [number, 'before' | 'after'][] = [[0, 'before'], ...list.flatMap((o, i) => (MUTATING.test(o) ? [[i, 'after'] as [number, 'after']] : []))];
      const phases = new Map<string, number>();
      await inLanes(points, ([i, when]) => trial(mode, i, when, false, phases));
      // 'between calls': killed before the lock file was created
      expect([...phases.keys()].sort(), `${mode}: phases hit ${JSON.stringify([...phases])}`).to.deep.equal(PHASES);
      console.log(`      ${mode}: ${points.length} kill points (before the first of ${list.length} operations, and after each of the ${points.length - 1} that change the disk); phases ${[...phases].map(([p, k]) => `${k} × ${p}`).join('; ')}`);
    });

    it(`a power loss in every durable state of a ${mode} leaves the store before the call, or after it once the commit is durable`, async () => {
      const list = ops.get(mode)!;
      // What a power loss leaves depends only on what was fsynced: the durable state changes at each fh.sync and
      // nowhere else, so a loss just before the first operation and just after each fsync covers every state.
      const syncs = list.flatMap((o, i) => (o.startsWith('fh.sync ') ? [i] : []));
      const points: [number, 'before' | 'after'][] = [[0, 'before'], ...syncs.map((i) => [i, 'after'] as [number, 'after'])];
      await inLanes(points, ([i, when]) => trial(mode, i, when, true, null));
      expect(syncs.length, `${mode}: fsyncs`).to.be.greaterThan(5);
      console.log(`      ${mode}: ${points.length} power-loss trials (before the first operation and after each of ${syncs.length} fsyncs)`);
    });
  }

  // Regression test (fixed in 8de63f5): the parts of a store's first commit used to be renamed before any
  // _metadata existed, and readers without _metadata take every part on disk, so a kill between the renames
  // exposed a partial first commit.
  it('a kill between the part renames of the first commit exposes no part', async () => {
    const list = ops.get('create')!;
    const firstRename = list.findIndex((o) => o.startsWith('rename .tfpl-tmp-part-'));
    expect(list[firstRename + 1]).to.match(/^rename \.tfpl-tmp-part-/);
    await trial('create', firstRename, 'after', false, null);
  });

  // Regression test (fixed in f5cc2f8): temporary parts were named `.tfpl-tmp-part-….parquet`, and DuckDB's
  // `read_parquet('<store>/*.parquet')` globs dot-files, so it saw parts being written or left by a crash.
  it('a glob reader (DuckDB <store>/*.parquet) never sees a temporary part left by a crash', async () => {
    const sync = ops.get('append')!.findIndex((o) => o.startsWith('fh.sync .tfpl-tmp-part-'));
    const dir = join(root, 'glob');
    cpSync(template, dir, { recursive: true });
    const child = await ScriptChild.start('append-child.ts', [dir, JSON.stringify(CONFIG('append'))], { TFPL_FAULT_KILL_AT: `${sync}:after` });
    expect((await child.exited).signal).to.equal('SIGKILL');
    const globbed = (await duck(`SELECT file FROM glob(${lit(join(dir, '*.parquet'))})`)).map((r) => String(r.file).slice(dir.length + 1));
    expect(globbed.filter((f) => f.startsWith('.'))).to.deep.equal([]);
    expect(globbed.length).to.equal(1); // the template's part; the temporary ones are hidden
  });

  it('a SIGKILL from outside after a random delay leaves the store before or after the call (20 seeded trials)', async () => {
    const dirs = [join(root, 'append-random-0'), join(root, 'append-random-1')];
    for (const dir of dirs) cpSync(template, dir, { recursive: true });
    const rngs = [mulberry32(80_030), mulberry32(80_031)];
    await inLanes(Array.from({ length: 20 }, (_, t) => t), async (t) => {
      const lane = t % 2;
      const dir = dirs[lane]!;
      const rng = rngs[lane]!;
      const afterBegin = Math.floor(rng() * 3);
      const ms = rng() * 30;
      const child = await ScriptChild.start('append-child.ts', [dir, JSON.stringify({ ...CONFIG('append'), calls: 50, faultCall: -1 })]);
      await child.waitForLine((l) => l.startsWith(`begin ${afterBegin} `));
      await delay(ms);
      child.kill('SIGKILL');
      expect((await child.exited).signal).to.equal('SIGKILL');
      const lines = child.lines;
      const ready = Number(lines.find((l) => l.startsWith('ready '))!.split(' ')[1]);
      const committed = lines.filter((l) => l.startsWith('committed ')).map((l) => Number(l.split(' ')[2]));
      const before = committed.at(-1) ?? ready;
      const inFlight = lines.filter((l) => l.startsWith('begin ')).length > committed.length;
      const n = await verifyCrashStore(dir);
      expect(inFlight ? [before, before + ROWS_PER_CALL] : [before], `killed ${ms.toFixed(1)} ms after begin ${afterBegin}`).to.include(n);
      reliabilityCounts.add('crash.kills', 1);
      await materializeDataset(dir, CrashSchema, crashRows(n, 100), { mode: 'append', rowGroupSize: 50, compression: 'snappy' });
      await expectCleanStore(dir);
    }, (t) => t % 2);
  });
});

/**
 * Runs `run` over `items` in two lanes at once (the machine has two cores; a child spends most of its life
 * starting up). `laneOf` pins an item to a lane (items of one lane run in order); by default items alternate.
 */
async function inLanes<T>(items: T[], run: (item: T) => Promise<void>, laneOf: (item: T, i: number) => number = (_x, i) => i % 2): Promise<void> {
  const lanes: T[][] = [[], []];
  items.forEach((x, i) => lanes[laneOf(x, i)]!.push(x));
  await Promise.all(lanes.map(async (lane) => {
    for (const x of lane) await run(x);
  }));
}
