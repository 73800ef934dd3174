import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTfDataset, type MakeTfDatasetOptions } from '../../src/index.js';
import { createHash } from 'node:crypto';
import { chunkCacheFor } from '../../src/store/cache-option.js';
import { chunkKey, MemoryChunkCache } from '../../src/store/chunk-cache.js';
import { openStore, storeInternals } from '../../src/store/open-store.js';
import { chunkRange } from '../../src/store/page-checksums.js';
import { useBtcStore } from '../readers/fixtures.js';
import { startStaticServer } from '../static-server.js';
import { useTmpDir } from '../tmp-dir.js';
import { collect } from '../windowing/helpers.js';

const run = promisify(execFile);
const ROWS = 60_000;
const OPTIONS: MakeTfDatasetOptions = {
  features: ['price_usd', 'market_cap'],
  targets: ['price_usd'],
  windowSize: 16,
  timestampColumn: 'timestamp',
  split: { train: 0.7, validation: 0.15, test: 0.15 },
  normalize: 'zscore',
  batchSize: 512,
  shuffle: true,
  seed: 5,
  workers: 0,
};

/** Data bytes and requests the server answered between two calls. */
function meter(log: { bytesSent: number; requests: unknown[] }) {
  let bytes = log.bytesSent;
  let requests = log.requests.length;
  return () => {
    const out = { bytes: log.bytesSent - bytes, requests: log.requests.length - requests };
    bytes = log.bytesSent;
    requests = log.requests.length;
    return out;
  };
}

describe('the cache of remote column chunks and footers', function () {
  this.timeout(120_000);
  const store = useBtcStore(ROWS, 2_000, 20_000);
  const tmp = useTmpDir();

  it('in memory: epochs 2 and 3 of an HTTP store fetch no data bytes, and the train, validation and test datasets share it', async () => {
    const server = await startStaticServer(store(), true);
    try {
      const url = `${server.url}/`;
      const cache = { bytes: 64 * 2 ** 20 };
      const since = meter(server.log);
      const train = await makeTfDataset(url, { ...OPTIONS, cache });
      const opened = since();
      const epochs: Awaited<ReturnType<typeof collect>>[] = [];
      const fetched: { bytes: number; requests: number }[] = [];
      for (let e = 0; e < 3; e++) {
        epochs.push(await collect(train));
        fetched.push(since());
      }
      // The first pass (statistics, split) read the columns the epochs read: even epoch 1 finds them cached.
      expect(opened.bytes).to.be.greaterThan(0);
      expect(fetched[0]).to.deep.equal({ bytes: 0, requests: 0 });
      expect(fetched[1]).to.deep.equal({ bytes: 0, requests: 0 });
      expect(fetched[2]).to.deep.equal({ bytes: 0, requests: 0 });
      // The same batches from the cache as from the network, epoch by epoch.
      const uncached = await makeTfDataset(url, OPTIONS);
      for (let e = 0; e < 3; e++) {
        const fresh = await collect(uncached);
        expect(epochs[e]!.xs, `epoch ${e + 1}`).to.deep.equal(fresh.xs);
        expect(epochs[e]!.ys, `epoch ${e + 1}`).to.deep.equal(fresh.ys);
      }
      since();
      // Validation and test: opened (their footers and first pass) and read through, they fetch no data
      // byte: the train dataset read every chunk they need into the cache they share.
      const validation = await makeTfDataset(url, { ...OPTIONS, cache, subset: 'validation' });
      const test = await makeTfDataset(url, { ...OPTIONS, cache, subset: 'test' });
      await collect(validation);
      await collect(test);
      expect(since().bytes).to.equal(0);
    } finally {
      await server.close();
    }
  });

  it('keeps the least recently used entries within its limit in bytes', async () => {
    const cache = new MemoryChunkCache(1_000);
    await cache.put('a', new Uint8Array(400).fill(1));
    await cache.put('b', new Uint8Array(400).fill(2));
    expect((await cache.get('a'))![0]).to.equal(1); // a is now the most recent
    await cache.put('c', new Uint8Array(400).fill(3)); // evicts b
    expect(await cache.get('b')).to.equal(undefined);
    expect((await cache.get('a'))!.length).to.equal(400);
    expect((await cache.get('c'))![399]).to.equal(3);
    expect(cache.stats.bytesHeld).to.equal(800);
    await cache.put('huge', new Uint8Array(1_001));
    expect(await cache.get('huge')).to.equal(undefined);
    // What get hands out is the caller's: emptying it (a transfer to a decode thread) leaves the cache whole.
    const taken = (await cache.get('a'))!;
    structuredClone(taken.buffer, { transfer: [taken.buffer] });
    expect((await cache.get('a'))!.length).to.equal(400);
  });

  it('on disk: a damaged entry is dropped and fetched again, and the values read are the same', async () => {
    const server = await startStaticServer(store(), true);
    try {
      const url = `${server.url}/`;
      const dir = join(tmp(), 'cache');
      const cache = { dir, bytes: 64 * 2 ** 20 };
      const since = meter(server.log);
      const ds = await makeTfDataset(url, { ...OPTIONS, shuffle: false, cache });
      const first = await collect(ds);
      expect(since().bytes).to.be.greaterThan(0);
      expect((await collect(ds)).xs).to.deep.equal(first.xs);
      expect(since().bytes).to.equal(0);
      // The entry of one column chunk every epoch reads: price_usd of the fourth row group.
      const opened = await openStore(url);
      const rg = opened.rowGroups[3]!;
      const internals = storeInternals(opened);
      const chunk = internals.footers.get(rg.file)!.row_groups[rg.index]!.columns.find((c) => c.meta_data!.path_in_schema[0] === 'price_usd')!.meta_data!;
      const { start, end } = chunkRange(chunk);
      const source = internals.sources.get(rg.file)!;
      const victim = join(dir, `${createHash('sha256').update(chunkKey(source.name, source.version!, start, end)).digest('hex')}.chunk`);
      const entries = [{ size: statSync(victim).size }];
      since();
      // Flip one byte near the end of its payload.
      const bytes = readFileSync(victim);
      bytes[bytes.length - 100] ^= 0xff;
      writeFileSync(victim, bytes);
      const damagedBefore = chunkCacheFor(cache, 'test').stats.damaged;
      const again = await collect(ds);
      expect(again.xs).to.deep.equal(first.xs);
      expect(again.ys).to.deep.equal(first.ys);
      expect(chunkCacheFor(cache, 'test').stats.damaged).to.equal(damagedBefore + 1);
      const refetched = since();
      // Exactly the damaged entry's bytes came over the network again (its file holds a header and its key too).
      expect(refetched).to.deep.equal({ requests: 1, bytes: end - start });
      expect(statSync(victim).size).to.equal(entries[0]!.size); // written again, whole
    } finally {
      await server.close();
    }
  });

  it('two processes share one cache folder: both read every value, a third fetches no data bytes, and the folder stays within its limit', async () => {
    const server = await startStaticServer(store(), true);
    try {
      const url = `${server.url}/`;
      const child = join(import.meta.dirname, 'fixtures', 'cache-child.ts');
      const read = async (dir: string, bytes: number) => JSON.parse((await run(process.execPath, ['--import', 'tsx', child, url, dir, String(bytes)])).stdout) as { rows: number; sum: number; bytesFetched: number; bytesFromCache: number };
      const expectedSum = (ROWS * (ROWS - 1)) / 2;

      const shared = join(tmp(), 'shared');
      const [a, b] = await Promise.all([read(shared, 64 * 2 ** 20), read(shared, 64 * 2 ** 20)]);
      for (const r of [a, b]) {
        expect(r.rows).to.equal(ROWS);
        expect(r.sum).to.equal(expectedSum);
      }
      const c = await read(shared, 64 * 2 ** 20);
      expect(c.rows).to.equal(ROWS);
      expect(c.sum).to.equal(expectedSum);
      // Footers and chunks all came from the folder: only the HEADs of opening the store went out.
      expect(c.bytesFetched).to.equal(0);
      expect(c.bytesFromCache).to.be.greaterThan(0);

      // A folder smaller than the data: two processes writing at once keep it within the limit plus a tenth each.
      const small = join(tmp(), 'small');
      const limit = 100_000;
      const [d, e] = await Promise.all([read(small, limit), read(small, limit)]);
      expect(d.sum).to.equal(expectedSum);
      expect(e.sum).to.equal(expectedSum);
      const held = readdirSync(small).reduce((s, f) => s + statSync(join(small, f)).size, 0);
      expect(held).to.be.greaterThan(0).and.at.most(limit * 1.2);
    } finally {
      await server.close();
    }
  });
});
