import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { duck, lit } from '../duckdb.js';
import { useTmpDir } from '../tmp-dir.js';

const WRITER = join(import.meta.dirname, 'fixtures', 'write-rows.ts');

interface WriterRun {
  numRows: number;
  files: number;
  maxRssBytes: number;
  seconds: number;
  /** Sizes at the end of the run, in bytes: V8's heap and its young (new) and old generations, and memory outside it. */
  end: { heapTotal: number; newSpace: number; oldSpace: number; external: number; arrayBuffers: number };
}

/**
 * Peak RSS of a child that writes `rows` rows, with the runtime's own growth held still so the peak follows
 * what the writer keeps:
 * - the old generation is capped at 96 MB: 5 million rows held as objects would need several times that, so a
 *   writer that buffered its input could not finish at all; the cap also makes V8 collect sooner (uncapped,
 *   the 5M-row peak varied by ~45 MiB from run to run);
 * - the young generation is fixed at 2 × 16 MB semi-spaces, Node 20's and 22's size: Node 24's V8 starts it
 *   at 64 MiB and doubles it to 128 MiB a few million rows in, which the 500k-row run never reaches (that step
 *   alone was 64 of the 66-90 MiB of growth Node 24 showed);
 * - one malloc arena (glibc; other allocators ignore it): per-thread arenas kept up to ~30 MiB more of freed
 *   memory in some runs than in others, depending on which thread the collector happened to run on.
 */
function writeInChild(store: string, rows: number): WriterRun {
  const out = execFileSync(process.execPath, ['--max-old-space-size=96', '--max-semi-space-size=16', '--import', 'tsx', WRITER, store, String(rows)], {
    encoding: 'utf8',
    env: { ...process.env, MALLOC_ARENA_MAX: '1' },
  });
  return JSON.parse(out) as WriterRun;
}

const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const describeRun = (r: WriterRun) =>
  `peak RSS ${MiB(r.maxRssBytes)}; at the end heap ${MiB(r.end.heapTotal)} (young ${MiB(r.end.newSpace)}, old ${MiB(r.end.oldSpace)}), external ${MiB(r.end.external)} (array buffers ${MiB(r.end.arrayBuffers)})`;

describe('materializeDataset memory', () => {
  const tmp = useTmpDir();

  it('streams 5 million rows with the same peak memory as 500 thousand', async function () {
    this.timeout(120_000);
    const small = writeInChild(join(tmp(), 'small'), 500_000);
    const large = writeInChild(join(tmp(), 'large'), 5_000_000);
    expect(large.numRows).to.equal(5_000_000);
    expect(large.files).to.equal(5);
    // 4.5 million more rows hold ~160 MB of values; a writer that buffered them would show it here.
    const growth = large.maxRssBytes - small.maxRssBytes;
    console.log(`      peak RSS: ${MiB(small.maxRssBytes)} at 500k rows, ${MiB(large.maxRssBytes)} at 5M rows (Node ${process.versions.node})`);
    expect(growth, `peak RSS grew by ${MiB(growth)} from 500k rows (${describeRun(small)}) to 5M rows (${describeRun(large)})`).to.be.below(48 * 2 ** 20);
    const counted = await duck(`select count(*) n, count(distinct timestamp) d from read_parquet(${lit(join(tmp(), 'large', 'part-*.parquet'))})`);
    expect(counted[0]).to.deep.equal({ n: 5_000_000n, d: 5_000_000n });
  });
});
