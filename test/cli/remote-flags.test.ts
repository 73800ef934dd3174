import { expect } from 'chai';
import { join } from 'node:path';
import { BitcoinSchema } from '../../src/forecasting/index.js';
import { materializeDataset } from '../../src/index.js';
import { startStaticServer } from '../static-server.js';
import { useTmpDir } from '../tmp-dir.js';
import { runCli } from './run-cli.js';

describe('cli: the flags of remote stores (--retries, --cache-size, --cache-dir)', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  async function store(): Promise<string> {
    const n = 3_000;
    const dir = join(tmp(), 'store');
    let p = 40_000;
    const timestamp = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
    const price_usd = Float32Array.from({ length: n }, (_, i) => (p *= Math.exp(0.004 * Math.sin(i * 1.7))));
    await materializeDataset(dir, BitcoinSchema, { numRows: n, columns: { timestamp, price_usd, market_cap: Float64Array.from(price_usd, (v) => v * 19e6), price_change_24h: new Float32Array(n).fill(NaN), total_volume: new Float64Array(n).fill(NaN) } }, { rowGroupSize: 250 });
    return dir;
  }

  it('refuses a bad --retries, --cache-size or a --cache-dir without a size with exit 2 and the reason', async () => {
    const cases: [string[], RegExp][] = [
      [['--retries', '0'], /--retries must be an integer >= 1/],
      [['--cache-size', 'lots'], /--cache-size must be a size such as 512MB or 2GiB; received "lots"/],
      [['--cache-dir', tmp()], /--cache-dir needs --cache-size/],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['inspect', 'http://127.0.0.1:9/store/', ...flags]);
      expect(r.code, flags.join(' ')).to.equal(2);
      expect(r.stderr).to.match(message);
    }
  });

  it('tfpl train over a server that fails 10 % of its answers trains with --retries, and its epoch lines say what was fetched and retried; --cache-size serves later epochs from memory', async () => {
    const dir = await store();
    const server = await startStaticServer(dir, true, { faults: { seed: 4, rate: 0.1 } });
    try {
      const r = await runCli(['train', `${server.url}/`, '--out', join(tmp(), 'model'), '--epochs', '2', '--window', '12', '--units', '4', '--retries', '8', '--cache-size', '64MB', '--backend', 'cpu']);
      expect(r.code, r.stderr).to.equal(0);
      const injected = server.log.faults['503'] + server.log.faults.reset + server.log.faults.cut;
      expect(injected).to.be.greaterThan(0);
      const epochs = r.stdout.split('\n').filter((l) => l.startsWith('epoch '));
      expect(epochs.length).to.equal(2);
      // By the end every fault was retried once; the lines count them as they came.
      const line = /fetched ([\d.]+) kB in (\d+) requests(?:, ([\d.]+) kB from cache)?, (\d+) retr(?:y|ies)$/;
      const [first, second] = epochs.map((e) => line.exec(e));
      expect(first, epochs[0]).to.not.equal(null);
      expect(second, epochs[1]).to.not.equal(null);
      expect(Number(second![4])).to.be.greaterThan(0).and.at.most(injected);
      // Epoch 2 sent no request: its chunks came from the cache, whose share grew.
      expect(second![2]).to.equal(first![2]);
      expect(Number(second![3])).to.be.greaterThan(Number(first![3] ?? 0));
    } finally {
      await server.close();
    }
  });
});
