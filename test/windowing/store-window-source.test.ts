import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../src/errors.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { bytesSource } from '../../src/store/byte-range-source.js';
import type { StoreLocation } from '../../src/store/store-location.js';
import { storeWindowSource } from '../../src/windowing/store-window-source.js';
import { readFile, readdir } from 'node:fs/promises';
import { collect, MINUTE, T0, useBtcStore } from '../readers/fixtures.js';

const run = promisify(execFile);

describe('storeWindowSource and byte-range sources', function () {
  this.timeout(90_000);
  const store = useBtcStore(5_000, 1_000, 2_000);

  it('streams the requested columns in time order, restarting at the first row group on every open()', async () => {
    const src = await storeWindowSource(store(), { workers: 0 });
    expect(src.columns).to.deep.equal(['timestamp', 'price_usd', 'market_cap', 'price_change_24h', 'total_volume']);
    expect(src.numRows).to.equal(5_000);
    for (let pass = 0; pass < 2; pass++) {
      const batches = await collect(src.open(['timestamp', 'price_usd']));
      expect(batches.map((b) => Object.keys(b.columns))).to.deep.equal(new Array(5).fill(['timestamp', 'price_usd']));
      const ts = batches.flatMap((b) => Array.from(b.columns.timestamp as Float64Array));
      expect(ts).to.deep.equal(Array.from({ length: 5_000 }, (_, i) => T0 + i * MINUTE));
      expect(batches[0]!.columns.price_usd).to.be.instanceOf(Float32Array);
    }
    let err: unknown;
    try {
      await collect(src.open(['volume']));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
  });

  it('reads through a custom StoreLocation (the S3/GCS plug-in point)', async () => {
    const files = new Map<string, Uint8Array>();
    for (const f of await readdir(store())) files.set(f, new Uint8Array(await readFile(join(store(), f))));
    let reads = 0;
    const memory: StoreLocation = {
      url: 'mem://btc',
      list: async () => [...files.keys()].filter((f) => f.endsWith('.parquet')),
      open: async (path) => {
        const bytes = files.get(path);
        if (!bytes) return null;
        const src = bytesSource(path, bytes);
        return { ...src, read: (s, e) => (reads++, src.read(s, e)) };
      },
    };
    const reader = await makeBatchReader(memory, { workers: 0, columns: ['price_usd'], batchSize: 2_500 });
    const batches = await collect(reader);
    expect(batches.map((b) => b.numRows)).to.deep.equal([2_500, 2_500]);
    expect(reads).to.be.greaterThan(0);
  });

  it('decodes on workers from the compiled package (dist/), not only under tsx', async () => {
    const repo = resolve(import.meta.dirname ?? '.', '..', '..');
    // Inside node_modules so the compiled files resolve the package's dependencies.
    const out = mkdtempSync(join(repo, 'node_modules', '.cache-tfpl-dist-'));
    try {
      await run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repo, 'tsconfig.build.json'), '--outDir', out, '--declaration', 'false', '--sourceMap', 'false']).catch(() => {
        // Type errors elsewhere in the tree still emit JavaScript; the import below is the real check.
      });
      const script = `import { makeBatchReader } from ${JSON.stringify(`${join(out, 'index.js')}`)};
        const r = await makeBatchReader(${JSON.stringify(store())}, { workers: 2, columns: ['price_usd'] });
        let n = 0, sum = 0; for await (const b of r) { n += b.numRows; for (const v of b.columns.price_usd) sum += v; }
        console.log(JSON.stringify({ n, sum, live: r.liveWorkers }));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
      expect(JSON.parse(stdout)).to.deep.equal({ n: 5_000, sum: (4_999 * 5_000) / 2, live: 0 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
