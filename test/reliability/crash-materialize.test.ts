import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { materializeDataset } from '../../src/materialize/materialize.js';
import { mulberry32 } from '../../src/prng.js';
import { BitcoinSchema } from '../../src/forecasting/schemas.js';
import { ScriptChild } from './child-process.js';
import { type AppendChildConfig, crashRows } from './fixtures/crash-rows.js';
import { debrisOf, expectCleanStore, phaseOf, verifyCrashStore } from './store-check.js';
import { reliabilityCounts } from './counts.js';
import { duck, lit } from '../duckdb.js';

/**
 * Crash safety of materializeDataset: a child process writes to a store and is SIGKILLed, either by the child
 * itself exactly before or after its n-th file-system call (every phase: lock, part writes, renames, summary
 * writes, directory fsync, unlock) or by this process after a random delay. After every kill the store must be
 * the state before or after the interrupted call, readable and consistent, and the next write must succeed and
 * remove what the crash left.
 */

const ROWS_PER_CALL = 1200;
// Two parts of two row groups and one of one per call: several renames per commit, so a kill can land between them.
const BASE: Omit<AppendChildConfig, 'calls' | 'faultCall' | 'mode' | 'firstMode'> = { rowsPerCall: ROWS_PER_CALL, rowGroupSize: 250, maxRowsPerFile: 500 };
const TRIALS = { create: 20, append: 20, appendRandomDelay: 20, overwrite: 20 };

interface Calibration {
  ops: string[];
}

/** Runs one call with tracing on and returns its file-system operations, in order. */
async function traceCall(dir: string, config: AppendChildConfig): Promise<Calibration> {
  const child = await ScriptChild.start('append-child.ts', [dir, JSON.stringify(config)], { TFPL_FAULT_TRACE: '1' });
  const exit = await child.exited;
  expect(exit.code, child.stderr).to.equal(0);
  return { ops: child.lines.filter((l) => l.startsWith('op ')).map((l) => l.split(' ').slice(2).join(' ')) };
}

/** The committed row count before the call a kill interrupted, and the count after it, from the child's lines. */
function allowedCounts(lines: string[], mode: 'create' | 'append' | 'overwrite'): { before: number; after: number; acknowledged: number } {
  let committed = Number(lines.find((l) => l.startsWith('ready '))?.split(' ')[1] ?? 0);
  let inFlight = false;
  for (const l of lines) {
    if (l.startsWith('begin ')) inFlight = true;
    if (l.startsWith('committed ')) {
      committed = Number(l.split(' ')[2]);
      inFlight = false;
    }
  }
  const after = !inFlight ? committed : mode === 'overwrite' && committed > 0 ? ROWS_PER_CALL : committed + ROWS_PER_CALL;
  return { before: committed, after, acknowledged: committed };
}

describe('reliability: SIGKILL during materializeDataset', function () {
  this.timeout(240_000);
  let root: string;
  let createOps: string[];
  let appendOps: string[];
  let overwriteOps: string[];
  const phases = new Map<string, number>();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tfpl-crash-mat-'));
    const [create, append, overwrite] = await Promise.all([
      traceCall(join(root, 'cal-create'), { ...BASE, calls: 1, firstMode: 'create', mode: 'append', faultCall: 0 }),
      traceCall(join(root, 'cal-append'), { ...BASE, calls: 2, firstMode: 'create', mode: 'append', faultCall: 1 }),
      traceCall(join(root, 'cal-overwrite'), { ...BASE, calls: 2, firstMode: 'create', mode: 'overwrite', faultCall: 1 }),
    ]);
    createOps = create.ops;
    appendOps = append.ops;
    overwriteOps = overwrite.ops;
    // the calibration saw every phase of a commit
    for (const ops of [createOps, appendOps, overwriteOps]) {
      expect(ops.some((o) => o.startsWith('rename .tfpl-tmp-part-'))).to.equal(true);
      expect(ops.some((o) => o.startsWith('rename .tfpl-tmp-_metadata'))).to.equal(true);
      expect(ops.at(-1)).to.match(/^unlink _tfpl\.lock/);
    }
  });

  after(() => {
    rmSync(root, { recursive: true, force: true });
    const table = [...phases].map(([p, n]) => `${n} × ${p}`).join('; ');
    console.log(`      crash phases hit: ${table}`);
  });

  /**
   * One trial: the child is killed; the store is checked; this process then appends 100 rows, which must
   * succeed, clean up the debris and leave exactly those rows more.
   */
  async function trial(dir: string, child: ScriptChild, mode: 'create' | 'append' | 'overwrite', op: string): Promise<void> {
    const exit = await child.exited;
    const counts = allowedCounts(child.lines, mode);
    const debris = await debrisOf(dir).catch(() => ({ temps: [], orphans: [], lockLeft: false }));
    const phase = exit.signal === 'SIGKILL' ? phaseOf(debris) : 'not killed (call finished first)';
    phases.set(phase, (phases.get(phase) ?? 0) + 1);
    reliabilityCounts.add(`crash.materialize.${mode}.trials`, 1);
    if (exit.signal === 'SIGKILL') reliabilityCounts.add('crash.kills', 1);

    const n = await verifyCrashStore(dir);
    const context = `${mode} killed at ${op} (${phase}); committed before ${counts.before}, after ${counts.after}; store has ${n}`;
    // rows of an acknowledged commit that the store no longer holds (an overwrite's "after" legitimately has fewer)
    reliabilityCounts.add('crash.rowsLost', n === counts.after ? 0 : Math.max(0, counts.acknowledged - n));
    expect([counts.before, counts.after], context).to.include(n);

    await materializeDataset(dir, BitcoinSchema, crashRows(n, 100), { mode: n === 0 ? 'create' : 'append', rowGroupSize: 50, compression: 'snappy' });
    await expectCleanStore(dir);
    expect(await verifyCrashStore(dir), `after the next append (${context})`).to.equal(n + 100);
  }

  /** Kills a child running `calls` calls at file-system operation `index` of call `faultCall`. */
  function targetedChild(dir: string, config: AppendChildConfig, index: number, when: 'before' | 'after'): Promise<ScriptChild> {
    return ScriptChild.start('append-child.ts', [dir, JSON.stringify(config)], { TFPL_FAULT_KILL_AT: `${index}:${when}` });
  }

  it(`a kill at any point of a create leaves no store or the whole first commit (${TRIALS.create} seeded trials)`, async () => {
    await inLanes(TRIALS.create, 8_001, async (t, rng) => {
      const dir = join(root, `create-${t}`);
      const index = Math.floor(rng() * createOps.length);
      const when = rng() < 0.5 ? 'before' : 'after';
      const child = await targetedChild(dir, { ...BASE, calls: 1, firstMode: 'create', mode: 'append', faultCall: 0 }, index, when);
      await trial(dir, child, 'create', `${when} op ${index} ${createOps[index]}`);
    });
  });

  // Regression test (fixed in 8de63f5): the parts of a store's first commit used to be renamed before any
  // _metadata existed, and readers without _metadata take every part on disk, so a kill between the renames
  // exposed a partial first commit (500 of 1200 rows here).
  it('a kill between the part renames of the first commit exposes no part', async () => {
    const firstRename = createOps.findIndex((o) => o.startsWith('rename .tfpl-tmp-part-'));
    const dir = join(root, 'create-bug');
    const child = await targetedChild(dir, { ...BASE, calls: 1, firstMode: 'create', mode: 'append', faultCall: 0 }, firstRename, 'after');
    await trial(dir, child, 'create', `after op ${firstRename} ${createOps[firstRename]}`);
  });

  // Regression test (fixed in f5cc2f8): temporary parts were named `.tfpl-tmp-part-….parquet`, and DuckDB's
  // `read_parquet('<store>/*.parquet')` globs dot-files, so it saw parts being written or left by a crash.
  it('a glob reader (DuckDB <store>/*.parquet) never sees a temporary part left by a crash', async () => {
    const sync = appendOps.findIndex((o) => o.startsWith('fh.sync .tfpl-tmp-part-'));
    const dir = join(root, 'glob');
    await materializeDataset(dir, BitcoinSchema, crashRows(0, 300), { rowGroupSize: 100 });
    const child = await targetedChild(dir, { ...BASE, calls: 1, firstMode: 'create', mode: 'append', faultCall: 0 }, sync, 'after');
    expect((await child.exited).signal).to.equal('SIGKILL');
    const globbed = (await duck(`SELECT file FROM glob(${lit(join(dir, '*.parquet'))})`)).map((r) => String(r.file).slice(dir.length + 1));
    expect(globbed.filter((f) => f.startsWith('.'))).to.deep.equal([]);
  });

  it(`a kill at any point of an append leaves the store before or after it (${TRIALS.append} seeded trials)`, async () => {
    const dirs = [join(root, 'append-0'), join(root, 'append-1')];
    for (const dir of dirs) await materializeDataset(dir, BitcoinSchema, crashRows(0, 300), { rowGroupSize: 100 });
    await inLanes(TRIALS.append, 8_002, async (_t, rng, lane) => {
      const faultCall = Math.floor(rng() * 3);
      const index = Math.floor(rng() * appendOps.length);
      const when = rng() < 0.5 ? 'before' : 'after';
      const child = await targetedChild(dirs[lane]!, { ...BASE, calls: faultCall + 1, firstMode: 'create', mode: 'append', faultCall }, index, when);
      await trial(dirs[lane]!, child, 'append', `call ${faultCall} ${when} op ${index} ${appendOps[index]}`);
    });
  });

  it(`a SIGKILL from outside after a random delay leaves the store before or after the call (${TRIALS.appendRandomDelay} seeded trials)`, async () => {
    const dirs = [join(root, 'append-random-0'), join(root, 'append-random-1')];
    for (const dir of dirs) await materializeDataset(dir, BitcoinSchema, crashRows(0, 300), { rowGroupSize: 100 });
    await inLanes(TRIALS.appendRandomDelay, 8_003, async (_t, rng, lane) => {
      const afterBegin = Math.floor(rng() * 3);
      const ms = rng() * 30;
      const child = await ScriptChild.start('append-child.ts', [dirs[lane]!, JSON.stringify({ ...BASE, calls: 50, firstMode: 'create', mode: 'append', faultCall: -1 })]);
      await child.waitForLine((l) => l.startsWith(`begin ${afterBegin} `));
      await delay(ms);
      child.kill('SIGKILL');
      await trial(dirs[lane]!, child, 'append', `${ms.toFixed(1)} ms after begin ${afterBegin}`);
    });
  });

  it(`a kill at any point of an overwrite leaves the old rows or the new ones (${TRIALS.overwrite} seeded trials)`, async () => {
    const dirs = [join(root, 'overwrite-0'), join(root, 'overwrite-1')];
    for (const dir of dirs) await materializeDataset(dir, BitcoinSchema, crashRows(0, 300), { rowGroupSize: 100 });
    await inLanes(TRIALS.overwrite, 8_004, async (_t, rng, lane) => {
      const index = Math.floor(rng() * overwriteOps.length);
      const when = rng() < 0.5 ? 'before' : 'after';
      const child = await targetedChild(dirs[lane]!, { ...BASE, calls: 1, firstMode: 'create', mode: 'overwrite', faultCall: 0 }, index, when);
      await trial(dirs[lane]!, child, 'overwrite', `${when} op ${index} ${overwriteOps[index]}`);
    });
  });
});

/**
 * Runs `trials` trials in two lanes at once (the machine has two cores; a child spends most of its life
 * starting up). Trials of one lane run in order, each lane with its own seeded generator, so the kill
 * points do not depend on how the lanes interleave.
 */
async function inLanes(trials: number, seed: number, run: (trial: number, rng: () => number, lane: number) => Promise<void>): Promise<void> {
  const LANES = 2;
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const rng = mulberry32(seed * 10 + lane);
      for (let t = lane; t < trials; t += LANES) await run(t, rng, lane);
    }),
  );
}
