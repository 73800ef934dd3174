import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BitcoinSchema, MarketSchema } from '../../src/forecasting/schemas.js';
import { compactStore, ConfigError, materializeDataset, openStore, StoreError } from '../../src/index.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { REPLACED_PARTS_KEY, SORT_BY_KEY } from '../../src/materialize/store-record.js';
import { compactedPartSequence } from '../../src/materialize/store-layout.js';
import { duck, lit } from '../duckdb.js';
import { useTmpDir } from '../tmp-dir.js';
import { bySeries, duckRows, rowText, sdkRows, sortedBySeries, tickRows, writeTicks } from './fixtures/market-ticks.js';

/** The store's key-value metadata in `_metadata`, read by DuckDB. */
async function keyValues(dir: string): Promise<Record<string, string>> {
  const rows = await duck(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${lit(join(dir, '_metadata'))})`);
  return Object.fromEntries(rows.map((r) => [String(r.k), String(r.v)]));
}

const layoutOf = async (dir: string) => (await openStore(dir)).files.map((f) => `${f.path.startsWith('part-') && compactedPartSequence(f.path) >= 0 ? 'compacted' : 'part'}:${f.numRows}/${f.rowGroups}`);

describe('compactStore', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  it('rewrites small parts into full row groups sorted as the store declares; every value is unchanged for this SDK and for DuckDB', async () => {
    const dir = join(tmp(), 'market');
    // A large part first (full row groups of 40: left alone), then a collector's 30 ticks of 4 rows.
    await materializeDataset(dir, MarketSchema, Array.from({ length: 20 }, (_, t) => tickRows(t - 20)).flat(), { rowGroupSize: 40, sortBy: ['coin', 'vs', 'timestamp'] });
    await writeTicks(dir, 0, 30);
    const large = (await openStore(dir)).files[0]!.path;
    const before = await sdkRows(dir);
    const duckBefore = await duckRows(dir);
    expect(JSON.parse((await keyValues(dir))[SORT_BY_KEY]!)).to.deep.equal(['coin', 'vs', 'timestamp']);

    const r = await compactStore(dir, { rowGroupSize: 40 });
    expect(r.outcome).to.equal('compacted');
    expect([r.before, r.after, r.replaced.length, r.written.length, r.rowsRewritten]).to.deep.equal([
      { parts: 31, rowGroups: 32, rows: 200, smallParts: 30 },
      { parts: 2, rowGroups: 5, rows: 200, smallParts: 0 },
      30,
      1,
      120,
    ]);
    // The large part kept its place and name; the 120 rows of the ticks are 3 full row groups of 40.
    expect(await layoutOf(dir)).to.deep.equal(['part:80/2', 'compacted:120/3']);
    expect((await openStore(dir)).files[0]!.path).to.equal(large);
    const after = await sdkRows(dir);
    // Same rows, each series in time order; rewritten rows are grouped by series now.
    expect(sortedBySeries(after)).to.deep.equal(sortedBySeries(before));
    expect([...bySeries(after).values()].map((l) => l.length)).to.deep.equal([50, 50, 50, 50]);
    expect(after.slice(80, 110).every((row) => row.startsWith('bitcoin,eur,'))).to.equal(true);
    expect(await duckRows(dir)).to.deep.equal(duckBefore);
    expect(await duckRows(dir)).to.deep.equal(sortedBySeries(after));
  });

  it('keeps the row order of a store that declares no sort order', async () => {
    const dir = join(tmp(), 'unsorted');
    for (let t = 0; t < 12; t++) await materializeDataset(dir, MarketSchema, tickRows(t), { mode: 'append' });
    expect(await keyValues(dir)).to.not.have.property(SORT_BY_KEY);
    const before = await sdkRows(dir);
    const r = await compactStore(dir, { rowGroupSize: 16 });
    expect([r.outcome, r.after.parts, r.after.rowGroups]).to.deep.equal(['compacted', 1, 3]);
    expect(await sdkRows(dir)).to.deep.equal(before);
  });

  it('leaves a store of full row groups alone, and refuses bad options and stores it did not write', async () => {
    const dir = join(tmp(), 'full');
    await materializeDataset(dir, BitcoinSchema, { numRows: 3, columns: { timestamp: new Float64Array([1, 2, 3]), price_usd: new Float32Array(3), market_cap: new Float64Array(3), price_change_24h: new Float32Array(3), total_volume: new Float64Array(3) } }, { rowGroupSize: 3 });
    const r = await compactStore(dir, { rowGroupSize: 3 });
    expect([r.outcome, r.reason, r.before, r.after]).to.deep.equal(['unchanged', 'no run of small parts (row groups under 3 rows) would make fewer row groups or files', { parts: 1, rowGroups: 1, rows: 3, smallParts: 0 }, { parts: 1, rowGroups: 1, rows: 3, smallParts: 0 }]);
    const bad = await compactStore(dir, { rowGroupSize: 10, maxRowsPerFile: 5 }).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(ConfigError);
    expect((bad as Error).message).to.equal('compactStore: maxRowsPerFile (5) must be >= rowGroupSize (10)');
    const typo = await compactStore(dir, { retention: 5 } as never).catch((e: unknown) => e);
    expect((typo as Error).message).to.match(/^compactStore: unknown option "retention"; valid options: rowGroupSize, maxRowsPerFile, compression, retentionMs, /);
    const duckDir = join(tmp(), 'duck');
    await duck(`COPY (SELECT range AS x FROM range(10)) TO ${lit(duckDir)} (FORMAT PARQUET, PER_THREAD_OUTPUT)`);
    const foreign = await compactStore(duckDir).catch((e: unknown) => e);
    expect(foreign).to.be.instanceOf(StoreError);
    expect((foreign as Error).message).to.match(/is not a store written by this SDK \(no _metadata with a tfjs-parquet-loader\.schema\.v1 schema\); only its own stores can be compacted/);
  });

  it('keeps the commits that landed after it read the store, and a reader of the older commit reads it to the end', async () => {
    const dir = join(tmp(), 'live');
    await writeTicks(dir, 0, 20);
    const snapshot = await openStore(dir);
    const snapshotRows = await sdkRows(dir);
    // A reader of the snapshot that has read its first batch when everything below happens.
    const reader = (await makeBatchReader(snapshot, { workers: 0, batchSize: 8 }))[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(first.value.numRows).to.equal(8);
    // Appends commit after the compaction read the store (it plans from the snapshot).
    await writeTicks(dir, 20, 3);
    const r = await compactStore(snapshot, { rowGroupSize: 32 });
    expect([r.outcome, r.before.parts, r.after.parts, r.replaced.length]).to.deep.equal(['compacted', 20, 5, 20]);
    // 80 rows → 2 full row groups and 16 rows in a part; then the three appends, after them.
    expect(await layoutOf(dir)).to.deep.equal(['compacted:64/2', 'compacted:16/1', 'part:4/1', 'part:4/1', 'part:4/1']);
    const appended = [20, 21, 22].flatMap((t) => sortedBySeries(tickRows(t).map(rowText)));
    const now = await sdkRows(dir);
    expect(now.slice(80)).to.deep.equal(appended);
    expect(sortedBySeries(now)).to.deep.equal(sortedBySeries([...snapshotRows, ...appended]));
    // The reader of the snapshot goes on reading the replaced parts, to the end.
    let read = first.value.numRows;
    for (let n = await reader.next(); !n.done; n = await reader.next()) read += n.value.numRows;
    expect(read).to.equal(80);
    expect(await sdkRows(snapshot)).to.deep.equal(snapshotRows);
  });

  it('commits nothing when another compaction replaced its parts first, and removes what it wrote', async () => {
    const dir = join(tmp(), 'race');
    await writeTicks(dir, 0, 10);
    const stale = await openStore(dir);
    const first = await compactStore(dir, { rowGroupSize: 16 });
    expect(first.outcome).to.equal('compacted');
    const committed = await layoutOf(dir);
    const second = await compactStore(stale, { rowGroupSize: 16 });
    expect(second.outcome).to.equal('conflict');
    expect(second.reason).to.match(/^part-00000-[0-9a-f-]{36}\.parquet is no longer committed: another compaction or an overwrite replaced it after this compaction read the store$/);
    expect(second.after).to.deep.equal(second.before);
    expect(await layoutOf(dir)).to.deep.equal(committed);
    // On disk: the first compaction's parts and the parts it replaced (kept for readers), nothing of the second.
    const onDisk = readdirSync(dir).filter((f) => f.endsWith('.parquet') || f.startsWith('.'));
    expect(onDisk.sort()).to.deep.equal([...first.written, ...first.replaced].sort());
  });

  it('keeps replaced parts for the retention, never as data, and the first write or compaction after it removes them', async () => {
    const dir = join(tmp(), 'retention');
    await writeTicks(dir, 0, 8);
    const t = Date.now();
    const r = await compactStore(dir, { rowGroupSize: 64, retentionMs: 3_600_000, now: () => t });
    expect(r.replaced).to.have.length(8);
    const replaced = JSON.parse((await keyValues(dir))[REPLACED_PARTS_KEY]!) as Record<string, { replacedAt: number; removeAfter: number }>;
    expect(Object.keys(replaced).sort()).to.deep.equal([...r.replaced].sort());
    expect(Object.values(replaced)[0]).to.deep.equal({ replacedAt: t, removeAfter: t + 3_600_000 });
    const data = (await openStore(dir)).files.map((f) => f.path);
    expect(data).to.deep.equal(r.written);
    // An append within the retention: its clean-up of uncommitted parts leaves the replaced ones.
    await writeTicks(dir, 8, 1);
    expect(r.replaced.every((f) => existsSync(join(dir, f)))).to.equal(true);
    expect(Object.keys(JSON.parse((await keyValues(dir))[REPLACED_PARTS_KEY]!))).to.have.length(8);
    // A compaction one millisecond before the end keeps them (and rewrites the append with the compacted part);
    // one at the end removes them and their record, and keeps those the first replaced.
    const early = await compactStore(dir, { rowGroupSize: 64, now: () => t + 3_600_000 - 1 });
    expect([early.outcome, early.replaced.length, early.removed]).to.deep.equal(['compacted', 2, []]);
    expect(r.replaced.every((f) => existsSync(join(dir, f)))).to.equal(true);
    const due = await compactStore(dir, { rowGroupSize: 64, now: () => t + 3_600_000 });
    expect([due.outcome, due.removed.sort()]).to.deep.equal(['unchanged', [...r.replaced].sort()]);
    expect(r.replaced.some((f) => existsSync(join(dir, f)))).to.equal(false);
    expect(Object.keys(JSON.parse((await keyValues(dir))[REPLACED_PARTS_KEY]!)).sort()).to.deep.equal([...early.replaced].sort());
    expect(early.replaced.every((f) => existsSync(join(dir, f)))).to.equal(true);

    // materializeDataset removes them too, once their retention is over (here: replaced two hours ago).
    const other = join(tmp(), 'retention-write');
    await writeTicks(other, 0, 4);
    const old = await compactStore(other, { rowGroupSize: 64, retentionMs: 3_600_000, now: () => Date.now() - 7_200_000 });
    expect(old.replaced.every((f) => existsSync(join(other, f)))).to.equal(true);
    await writeTicks(other, 4, 1);
    expect(old.replaced.some((f) => existsSync(join(other, f)))).to.equal(false);
    expect(await keyValues(other)).to.not.have.property(REPLACED_PARTS_KEY);
    expect((await sdkRows(other)).length).to.equal(20);
  });

  it('prints the parts, row groups and read time of a collector store before and after compaction', async function () {
    const dir = join(tmp(), 'figures');
    const ticks = 64;
    const w0 = performance.now();
    await writeTicks(dir, 0, ticks);
    const writeMs = performance.now() - w0;
    const readTimed = async () => {
      const t0 = performance.now();
      const rows = await sdkRows(dir);
      return { rows, ms: performance.now() - t0 };
    };
    await readTimed(); // warm: the first read loads the decoder
    const before = await readTimed();
    const c0 = performance.now();
    const r = await compactStore(dir);
    const compactMs = performance.now() - c0;
    const after = await readTimed();
    expect(sortedBySeries(after.rows)).to.deep.equal(sortedBySeries(before.rows));
    expect([r.before, r.after]).to.deep.equal([
      { parts: ticks, rowGroups: ticks, rows: 4 * ticks, smallParts: ticks },
      { parts: 1, rowGroups: 1, rows: 4 * ticks, smallParts: 1 },
    ]);
    console.log(
      `      ${ticks} ticks of 4 series (${(writeMs / ticks).toFixed(0)} ms per commit): ${r.before.parts} parts / ${r.before.rowGroups} row groups read in ${before.ms.toFixed(0)} ms; ` +
        `compacted in ${compactMs.toFixed(0)} ms to ${r.after.parts} part / ${r.after.rowGroups} row group, read in ${after.ms.toFixed(0)} ms`,
    );
  });
});
