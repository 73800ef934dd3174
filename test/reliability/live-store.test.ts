import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactStore, type CompactResult } from '../../src/materialize/compact.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { openStore } from '../../src/store/open-store.js';
import { MarketReplay } from '../ingest/market-replay.js';
import { ReplayServer } from '../ingest/replay-server.js';
import { bySeries, duckRows, sdkRows, sortedBySeries } from '../materialize/fixtures/market-ticks.js';
import { ScriptChild } from './child-process.js';

/**
 * A store that grows while it is read: a collector in a child process commits a tick of 4 series every 60 ms
 * while this process opens the store, starts reading that snapshot slowly, and compacts the store again and
 * again. Nothing the collector committed may be lost or changed, the reader must read its snapshot to the end
 * (the parts it reads were replaced meanwhile), and DuckDB over the final store must read what this SDK reads.
 */
describe('reliability: compaction while a collector appends and a reader reads an older commit', function () {
  this.timeout(120_000);
  let root: string;
  let server: ReplayServer;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'tfpl-live-'));
    server = await ReplayServer.start();
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('loses and changes nothing the collector committed, and the reader finishes its snapshot', async () => {
    const replay = new MarketReplay(server, 1_711_356_300);
    const dir = join(root, 'market');
    const child = await ScriptChild.start('market-collect-child.ts', [dir, server.baseUrl, '60']);
    const commits = (n: number) => child.waitForLine(() => child.lines.filter((l) => l.startsWith('committed ')).length >= n);
    const compactions: CompactResult[] = [];
    try {
      await commits(8);
      // The snapshot: what DuckDB reads from the parts this commit lists, and a reader of it that has begun.
      const snapshot = await openStore(dir);
      const expected = await duckRows(dir);
      const reader = (await makeBatchReader(snapshot, { workers: 0, batchSize: 4 }))[Symbol.asyncIterator]();
      const read: string[] = [];
      const readSome = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const next = await reader.next();
          if (next.done) return;
          const b = next.value;
          const cols = ['coin', 'vs', 'timestamp', 'price', 'market_cap', 'price_change_24h', 'total_volume'].map((c) => b.columns[c] as ArrayLike<unknown>);
          for (let r = 0; r < b.numRows; r++) read.push(cols.map((c) => (c[r] === null || Number.isNaN(c[r]) ? 'null' : String(c[r]))).join(','));
        }
      };
      await readSome(1);
      // Compactions until one of them had an append commit between its read of the store and its commit.
      for (let round = 1; round <= 12; round++) {
        await commits(8 + 3 * round);
        const r = await compactStore(dir, { rowGroupSize: 64 });
        compactions.push(r);
        expect(r.outcome, r.reason).to.equal('compacted');
        await readSome(1);
        if (round >= 3 && compactions.some((c) => c.after.rows > c.before.rows)) break;
      }
      await readSome(Infinity);
      expect(sortedBySeries(read), 'the reader of the older commit read it whole').to.deep.equal(expected);
    } finally {
      child.kill('SIGINT');
    }
    const exit = await child.exited;
    expect(exit.code, child.stderr).to.equal(0);
    const written = Number(child.lines.find((l) => l.startsWith('done '))!.split(' ')[1]);
    const reported = child.lines.filter((l) => l.startsWith('committed ')).reduce((n, l) => n + Number(l.split(' ')[1]), 0);
    expect(written).to.equal(reported);
    const raced = compactions.filter((c) => c.after.rows > c.before.rows).length;
    expect(raced, 'a compaction had an append commit while it rewrote').to.be.greaterThan(0);

    // Every row the collector committed, once, each series in time order, every value as the server sent it.
    const final = await sdkRows(dir);
    expect(final.length).to.equal(written);
    bySeries(final);
    const served = new Set(replay.servedRows());
    expect(final.filter((row) => !served.has(row))).to.deep.equal([]);
    expect(await duckRows(dir)).to.deep.equal(sortedBySeries(final));
    const store = await openStore(dir);
    console.log(
      `      ${written} rows in ${child.lines.filter((l) => l.startsWith('committed ')).length} commits; ${compactions.length} compactions (${raced} with appends committed during the rewrite): ` +
        `${compactions.map((c) => `${c.before.parts}→${c.after.parts}`).join(', ')} parts; final store ${store.files.length} parts, ${store.rowGroups.length} row groups`,
    );
  });
});
