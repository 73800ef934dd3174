import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import benchCommand from '../../src/cli/commands/bench.js';
import { useTmpDir } from '../tmp-dir.js';

const root = join(import.meta.dirname, '..', '..');
const python = spawnSync('python3', ['-c', 'import venv'], { encoding: 'utf8' }).status === 0;

// The bench end to end at tiny sizes, so it cannot rot. Figures are not checked against any time: only
// that every case ran and reported positive, finite numbers.
describe('bench: smoke run of every case at tiny sizes', function () {
  this.timeout(360_000);
  const tmp = useTmpDir();

  it('prints JSON with every case, positive finite rates and RSS, and every ratio', function () {
    const args = ['--rows', '12000', '--repeats', '1', '--rss-rows', '4000,12000', '--fit-batches', '3', '--materialize-rows', '3000', '--budget', '0.3', '--warmup-batches', '2', '--series', '4', '--series-rows', '6000', '--series-rss', '2,12', '--remote-rows', '20000', '--latency', '5', '--big-rows', '300000', '--zeros-rows', '600000'];
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'run.ts'), ...args, '--json', '--cache-dir', tmp()], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const doc = JSON.parse(r.stdout) as {
      failures: string[];
      cases: Record<string, { windowsPerSec: number | null; rowsPerSec: number | null; mbPerSec: number | null; peakRssBytes: number; runs: number }>;
      ratios: { name: string; value: number | null; spread: number | null }[];
    };
    expect(doc.failures).to.deep.equal([]);
    // The zeros file is written by pyarrow: without Python its two cases are skipped (and said so).
    const zeros = python ? ['zeros-sdk', 'zeros-duckdb'] : [];
    const ids = ['sdk', 'duckdb', 'duckdb-sdk', 'csv-parsed', 'csv', 'generator', 'decode', 'memcpy', 'memcpy-tensors', 'assembly', 'sdk-foreach', 'sdk-part-hold', 'sdk-part-toarray', 'sdk-w0', 'sdk-w2', 'decode-w1', 'sdk-rss-small', 'sdk-rss-large', 'sdk-http', 'remote', 'remote-latency', 'remote-cache', 'big-sdk', 'big-duckdb', 'big-windows', 'many-windows', ...zeros, 'browser', 'fit', 'fit-workers', 'materialize', 'duckdb-copy', 'idle', 'series-one', 'series-sorted', 'series-interleaved', 'series-rss-2', 'series-rss-12'];
    expect(Object.keys(doc.cases)).to.deep.equal(ids);
    const positive = (v: unknown, what: string) => expect(Number.isFinite(v) && (v as number) > 0, `${what} = ${v}`).to.equal(true);
    for (const id of ids) {
      const c = doc.cases[id]!;
      expect(c.runs, id).to.equal(1);
      positive(c.peakRssBytes, `${id}.peakRssBytes`);
      if (id === 'idle') continue;
      positive(c.rowsPerSec, `${id}.rowsPerSec`);
      positive(c.mbPerSec, `${id}.mbPerSec`);
      // Reads of rows, not windows: their rates are rows/s and MB/s.
      if (!['decode', 'decode-w1', 'materialize', 'duckdb-copy', 'big-sdk', 'big-duckdb', 'zeros-sdk', 'zeros-duckdb'].includes(id)) positive(c.windowsPerSec, `${id}.windowsPerSec`);
    }
    // Every ratio, with its spread when both cases ran more than once (here once: none).
    for (const ratio of doc.ratios) {
      // Bytes fetched from a warm cache: none.
      if (ratio.name === 'cache-epoch2+3-bytes') expect(ratio.value, ratio.name).to.equal(0);
      else if (!python && ratio.name.startsWith('zeros-')) expect(ratio.value, ratio.name).to.equal(null);
      else positive(ratio.value, `ratio ${ratio.name}`);
    }
    // ...but the fit comparison's, whose spread is over its five rounds inside one run.
    const spreads = doc.ratios.filter((r) => r.name !== 'fit-workers-best/default').map((r) => r.spread);
    expect(spreads).to.deep.equal(spreads.map(() => null));
    expect(doc.ratios.find((r) => r.name === 'fit-workers-best/default')!.spread).to.be.within(0, 10);
    expect(doc.ratios.map((r) => r.name)).to.include.members(['series-sorted/one', 'series-interleaved/one', 'series-rss-12/2', 'foreach/next', 'toarray/next-hold', 'browser/node-http', 'node-http/local', 'remote-latency/remote', 'cache-epoch2+3-bytes', 'big-first-batch/duckdb', 'big-all-rows/duckdb', 'big-rss/duckdb', 'big-windows/many']);
    if (python) expect(doc.ratios.map((r) => r.name)).to.include.members(['zeros-first-million/duckdb', 'zeros-rss/duckdb']);
  });

  it('tfpl bench runs bench/run.ts and passes a bad option through: exit 2 and the message', async function () {
    const out = new PassThrough();
    const err = new PassThrough();
    let stderr = '';
    err.on('data', (c) => (stderr += c));
    const code = await benchCommand.run(['--rows', '0'], { stdout: out, stderr: err, env: {} });
    expect(code).to.equal(2);
    expect(stderr).to.contain('--rows must be an integer >= 1; received "0"');
  });
});
