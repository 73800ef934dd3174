import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { duck, lit } from '../duckdb.js';
import { useTmpDir } from '../tmp-dir.js';

const WRITER = join(import.meta.dirname, 'fixtures', 'write-rows.ts');

/**
 * The child's JS heap is capped at 96 MB: 5 million rows held as objects would need several times that, so a
 * writer that buffered its input could not finish at all. The cap also makes V8 collect sooner, so peak RSS
 * follows what the writer keeps rather than when the collector happened to run (uncapped, the 5M-row peak
 * varied by ~45 MiB from run to run).
 */
function writeInChild(store: string, rows: number): { numRows: number; files: number; maxRssBytes: number } {
  return JSON.parse(execFileSync(process.execPath, ['--max-old-space-size=96', '--import', 'tsx', WRITER, store, String(rows)], { encoding: 'utf8' }));
}

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
    console.log(`      peak RSS: ${(small.maxRssBytes / 2 ** 20).toFixed(0)} MiB at 500k rows, ${(large.maxRssBytes / 2 ** 20).toFixed(0)} MiB at 5M rows`);
    expect(growth).to.be.below(48 * 2 ** 20);
    const counted = await duck(`select count(*) n, count(distinct timestamp) d from read_parquet(${lit(join(tmp(), 'large', 'part-*.parquet'))})`);
    expect(counted[0]).to.deep.equal({ n: 5_000_000n, d: 5_000_000n });
  });
});
