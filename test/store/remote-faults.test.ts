import { expect } from 'chai';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { makeTfDataset, type MakeTfDatasetOptions } from '../../src/index.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { openStore } from '../../src/store/open-store.js';
import { ParquetReadError } from '../../src/store/parquet-read-error.js';
import { collect, useBtcStore } from '../readers/fixtures.js';
import { startStaticServer } from '../static-server.js';
import { useTmpDir } from '../tmp-dir.js';
import { collect as collectBatches } from '../windowing/helpers.js';

const ROWS = 120_000;
const OPTIONS: MakeTfDatasetOptions = {
  features: ['price_usd', 'market_cap'],
  targets: ['price_usd'],
  windowSize: 16,
  timestampColumn: 'timestamp',
  maxGap: 120_000,
  split: { train: 0.8, validation: 0.2 },
  normalize: 'zscore',
  batchSize: 256,
  shuffle: true,
  seed: 11,
  workers: 0,
};
const FAST_RETRY = { attempts: 6, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 30_000 };

/** Every batch of `epochs` epochs of one dataset, as numbers. */
async function epochs(ds: tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>, n: number): Promise<{ xs: number[][]; ys: number[][] }[]> {
  const out: { xs: number[][]; ys: number[][] }[] = [];
  for (let e = 0; e < n; e++) out.push(await collectBatches(ds));
  return out;
}

describe('remote stores: a network that fails is survived', function () {
  this.timeout(120_000);
  const store = useBtcStore(ROWS, 4_096, 40_000);

  it('every epoch over a server that fails 10 % of requests (503, resets, cut bodies) equals the same epoch over a clean server, and each fault is one retry', async () => {
    const clean = await startStaticServer(store(), true);
    const faulty = await startStaticServer(store(), true, { faults: { seed: 7, rate: 0.1 } });
    try {
      const expected = await epochs(await makeTfDataset(`${clean.url}/`, OPTIONS), 3);
      const opened = await openStore(`${faulty.url}/`, { retry: FAST_RETRY });
      const got = await epochs(await makeTfDataset(opened, OPTIONS), 3);
      expect(got.length).to.equal(3);
      for (let e = 0; e < 3; e++) expect(got[e]).to.deep.equal(expected[e], `epoch ${e + 1}`);
      const { faults } = faulty.log;
      expect(faults['503']).to.be.greaterThan(0);
      expect(faults.reset).to.be.greaterThan(0);
      expect(faults.cut).to.be.greaterThan(0);
      // Every fault cost exactly one retry: nothing failed for good, nothing was retried for nothing.
      expect(opened.location.stats!.retries).to.equal(faults['503'] + faults.reset + faults.cut);
      expect(opened.location.stats!.requests).to.equal(faulty.log.requests.length);
    } finally {
      await clean.close();
      await faulty.close();
    }
  });

  it('counts every retry in fetchStats: retries equal the faults the server injected', async () => {
    const faulty = await startStaticServer(store(), true, { faults: { seed: 3, rate: 0.15 } });
    try {
      const reader = await makeBatchReader(`${faulty.url}/`, { workers: 0, retry: FAST_RETRY, columns: ['price_usd'] });
      const batches = await collect(reader);
      expect(batches.reduce((s, b) => s + b.numRows, 0)).to.equal(ROWS);
      const sum = (batches.map((b) => Array.from(b.columns.price_usd as Float32Array)).flat() as number[]).reduce((a, b) => a + b, 0);
      expect(sum).to.equal((ROWS * (ROWS - 1)) / 2);
      const injected = faulty.log.faults['503'] + faulty.log.faults.reset + faulty.log.faults.cut;
      expect(injected).to.be.greaterThan(0);
      expect(reader.fetchStats!.retries).to.equal(injected);
      expect(reader.fetchStats!.requests).to.equal(faulty.log.requests.length);
    } finally {
      await faulty.close();
    }
  });

  it('a dead server (it takes the connection and never answers) ends in a ParquetReadError after the bounded attempts', async () => {
    const dead = await startStaticServer(store(), true, { stallAfter: { requests: 0 } });
    try {
      const err = await openStore(`${dead.url}/`, { fetchTimeoutMs: 150, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 10_000 } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ParquetReadError);
      expect((err as Error).message).to.match(/_metadata: HTTP HEAD got no answer within 150 ms \(fetchTimeoutMs\); gave up after 3 attempts/);
      expect(dead.log.requests.length).to.equal(3);
    } finally {
      await dead.close();
    }
  });

  it('a server that refuses connections ends in a ParquetReadError naming the URL after the bounded attempts', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await openStore(`http://127.0.0.1:${port}/store/`, { retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 2, maxElapsedMs: 10_000 } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ParquetReadError);
    expect((err as Error).message).to.contain(`http://127.0.0.1:${port}/store/_metadata`);
    expect((err as Error).message).to.match(/ECONNREFUSED.*gave up after 4 attempts/);
  });

  it('never retries what retrying cannot change: 401, 403, 404 and 416 are answered after one request', async () => {
    for (const status of [401, 403, 404, 416]) {
      let hits = 0;
      const server: Server = createServer((req, res) => {
        hits++;
        // HEAD succeeds, so the GET of the footer is what is refused.
        if (req.method === 'HEAD') res.writeHead(200, { 'content-length': 100, 'accept-ranges': 'bytes' }).end();
        else res.writeHead(status, { 'content-length': 0 }).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as AddressInfo;
      try {
        const err = await openStore(`http://127.0.0.1:${port}/one.parquet`, { retry: FAST_RETRY }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, String(status)).to.be.instanceOf(ParquetReadError);
        expect((err as Error).message).to.contain(`answered ${status}`);
        expect(hits, `requests for ${status}`).to.equal(2);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    }
  });

  it('honours Retry-After: a 429 asking for more time than retry.maxElapsedMs leaves is not retried early, it fails saying so', async () => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits++;
      res.writeHead(429, { 'retry-after': '30', 'content-length': 0 }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const err = await openStore(`http://127.0.0.1:${port}/x.parquet`, { retry: { ...FAST_RETRY, maxElapsedMs: 2_000 } }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ParquetReadError);
      expect((err as Error).message).to.match(/HTTP HEAD answered 429 Too Many Requests; gave up after 1 attempt in \d+ ms \(retry.maxElapsedMs 2000\)/);
      expect(hits).to.equal(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('remote and local stores: a file replaced under a running epoch', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  async function storeIn(dir: string): Promise<void> {
    const { materializeDataset } = await import('../../src/materialize/materialize.js');
    const { BitcoinSchema } = await import('../../src/forecasting/schemas.js');
    const { btcColumns } = await import('../readers/fixtures.js');
    await materializeDataset(dir, BitcoinSchema, btcColumns(20_000), { rowGroupSize: 1_000, maxRowsPerFile: 5_000 });
  }

  /** Reads the first batch, replaces the last part with other bytes of another size, reads on. */
  async function readAcrossReplacement(url: string, dir: string): Promise<{ rows: number; err: unknown }> {
    const reader = await makeBatchReader(url, { workers: 0, prefetch: 1, readAhead: { bytes: 1 }, retry: FAST_RETRY });
    let rows = 0;
    let err: unknown = null;
    try {
      for await (const b of reader) {
        if (rows === 0) {
          const parts = readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort();
          writeFileSync(join(dir, 'replacement'), new Uint8Array(12_345).fill(7));
          copyFileSync(join(dir, 'replacement'), join(dir, parts[parts.length - 1]!));
        }
        rows += b.numRows;
      }
    } catch (e) {
      err = e;
    }
    return { rows, err };
  }

  it('over HTTP with If-Match honoured, over HTTP without it (the ETag of each answer is checked) and locally: a ParquetReadError naming the file, no rows of the new bytes', async () => {
    for (const variant of ['if-match', 'etag-only', 'local'] as const) {
      const dir = join(tmp(), variant);
      await storeIn(dir);
      const server = variant === 'if-match' ? await startStaticServer(dir, true) : variant === 'etag-only' ? await startIgnoringIfMatch(dir) : null;
      try {
        const { rows, err } = await readAcrossReplacement(server ? `${server.url}/` : dir, dir);
        expect(err, variant).to.be.instanceOf(ParquetReadError);
        expect((err as Error).message, variant).to.match(/part-00003-.*\.parquet.*changed after the store was opened/);
        expect(rows, variant).to.be.below(20_000);
        expect(rows % 1_000, variant).to.equal(0);
      } finally {
        await server?.close();
      }
    }
  });
});

/** A static server that sends ETags but serves ranges whatever `If-Match` says (as some servers do). */
async function startIgnoringIfMatch(dir: string) {
  const inner = await startStaticServer(dir, true);
  const server: Server = createServer(async (req, res) => {
    const headers = { ...req.headers };
    delete headers['if-match'];
    const answer = await fetch(`${inner.url}${req.url}`, { method: req.method, headers: headers as Record<string, string> });
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(req.method === 'HEAD' ? undefined : new Uint8Array(await answer.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await inner.close();
    },
  };
}
