import { expect } from 'chai';
import { join } from 'node:path';
import { BitcoinSchema } from '../../src/forecasting/schemas.js';
import { ConfigError, localLocation, materializeDataset, openStore, ParquetReadError, serveStore, type Store, type StoreServerLogEntry, watchStore } from '../../src/index.js';
import type { MaterializeOptions } from '../../src/materialize/materialize.js';
import type { WatchOptions } from '../../src/store/commit-watcher.js';
import { ObjectStoreError } from '../../src/store/s3/s3-errors.js';
import type { StoreLocation } from '../../src/store/store-location.js';
import { btcColumns } from '../readers/fixtures.js';
import { S3RVER_KEY, s3ErrorXml, startS3Proxy, startS3rver, type S3TestProxy, type S3TestServer } from '../s3-server.js';
import { startStaticServer } from '../static-server.js';
import { useTmpDir } from '../tmp-dir.js';
import { counted, expectSnapshots, follow, median, pollingOnly } from './watch-helpers.js';

const FIRST = 1_000;
const STEP = 100;
const FAST_RETRY = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 5_000 };

/** A store of FIRST rows, and appends of STEP rows to it, at `url` (a folder or s3://) with `io`. */
function writer(url: string, io: Partial<MaterializeOptions> = {}) {
  const counts = [FIRST];
  return {
    counts,
    create: () => materializeDataset(url, BitcoinSchema, btcColumns(FIRST), { rowGroupSize: 500, ...io }),
    async append(): Promise<number> {
      const from = counts.at(-1)!;
      const r = await materializeDataset(url, BitcoinSchema, btcColumns(STEP, from), { rowGroupSize: 500, mode: 'append', ...io });
      counts.push(r.storeRows);
      return r.storeRows;
    },
  };
}

/**
 * The scenario every kind of store runs: three commits in step with the watcher (each seen exactly, and how
 * long after its commit), then four back to back while it runs (seen as snapshots of some of them, the last
 * the final store). Returns the latencies in ms.
 */
async function commitWhileWatching(open: () => Promise<Store>, w: ReturnType<typeof writer>, options: WatchOptions, what: string): Promise<{ latencies: number[]; store: Store }> {
  const store = await open();
  expect(store.commitId).to.match(/^[0-9a-f]{8}-\d+$/);
  const controller = new AbortController();
  const watch = follow(store, { ...options, signal: controller.signal });
  const latencies: number[] = [];
  for (let k = 0; k < 3; k++) {
    const next = watch.next();
    const rows = await w.append();
    const committed = performance.now();
    const snapshot = await next;
    latencies.push(performance.now() - committed);
    expect(snapshot.numRows, `${what}: commit ${k} seen as it is`).to.equal(rows);
  }
  for (let k = 0; k < 4; k++) await w.append();
  const final = await open();
  await watch.until(final.commitId);
  controller.abort();
  await watch.done;
  expect(watch.seen.slice(0, 3).map((s) => s.numRows)).to.deep.equal(w.counts.slice(1, 4));
  await expectSnapshots(watch.seen, w.counts.slice(1), final, what);
  console.log(`      ${what}: ${watch.seen.length} snapshots of ${w.counts.length - 1} commits; seen ${latencies.map((l) => l.toFixed(0)).join(', ')} ms after the commit (median ${median(latencies).toFixed(0)})`);
  return { latencies, store };
}

describe('watchStore: each new commit of a store, opened whole', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  it('a local folder woken by file-system events: every commit seen once, in order, whole; the last snapshot is the final store', async () => {
    const dir = join(tmp(), 'events');
    const w = writer(dir);
    await w.create();
    const spy = counted(await localLocation(dir));
    // The default interval (1 s) is only the fallback: the commits are seen within milliseconds, by events.
    await commitWhileWatching(() => openStore(spy.location), w, {}, 'local, events');
    expect(spy.events, 'file-system events seen').to.be.greaterThan(0);
    expect(spy.subscribed, 'event subscription closed at the end').to.equal(0);
  });

  it('a local folder without file-system events (a network file system): polling alone sees every commit once, in order, whole', async () => {
    const dir = join(tmp(), 'polled');
    const w = writer(dir);
    await w.create();
    const location = pollingOnly(await localLocation(dir));
    await commitWhileWatching(() => openStore(location), w, { intervalMs: 50 }, 'local, polling only');
  });

  it('over HTTP (serveStore): conditional GETs see every commit once, in order, whole', async () => {
    const dir = join(tmp(), 'http');
    const w = writer(dir);
    await w.create();
    const served = await serveStore(dir);
    try {
      await commitWhileWatching(() => openStore(served.url), w, { intervalMs: 50 }, 'HTTP');
    } finally {
      await served.close();
    }
  });

  it('from a server without ETag or Last-Modified: the bytes of _metadata are compared, and no commit is yielded twice', async () => {
    const dir = join(tmp(), 'no-etag');
    const w = writer(dir);
    await w.create();
    const server = await startStaticServer(dir, true, { etag: false });
    try {
      await commitWhileWatching(() => openStore(`${server.url}/`), w, { intervalMs: 50 }, 'HTTP without validators');
    } finally {
      await server.close();
    }
  });

  it('commits landing between two looks are seen as one snapshot, the latest; a commit of nothing is no new snapshot', async () => {
    const dir = join(tmp(), 'coalesced');
    const w = writer(dir);
    await w.create();
    const store = await openStore(dir);
    const controller = new AbortController();
    const watch = watchStore(store, { signal: controller.signal });
    // Nothing looks before the first next(): three commits land first.
    for (let k = 0; k < 3; k++) await w.append();
    const first = await watch.next();
    expect(first.value.numRows).to.equal(FIRST + 3 * STEP);
    // The generator waits at its yield: three more commits, then one look.
    for (let k = 0; k < 3; k++) await w.append();
    const second = await watch.next();
    expect(second.value.numRows).to.equal(FIRST + 6 * STEP);
    expect(second.value.commitId).to.equal((await openStore(dir)).commitId);
    // An append of no rows rewrites _metadata byte for byte: the same commit id, nothing to yield.
    await materializeDataset(dir, BitcoinSchema, btcColumns(0), { mode: 'append' });
    expect((await openStore(dir)).commitId).to.equal(second.value.commitId);
    const pending = watch.next();
    await w.append();
    expect((await pending).value.numRows).to.equal(FIRST + 7 * STEP);
    controller.abort();
    expect(await watch.next()).to.deep.equal({ value: undefined, done: true });
  });

  it('the commit id: equal for every opening of one commit (folder, HTTP, a copy), different after every commit; null without _metadata', async () => {
    const dir = join(tmp(), 'ids');
    const w = writer(dir);
    await w.create();
    const served = await serveStore(dir);
    try {
      const ids = new Set<string | null>();
      for (let k = 0; k < 3; k++) {
        const local = await openStore(dir);
        expect((await openStore(served.url)).commitId).to.equal(local.commitId);
        expect((await openStore(dir)).commitId).to.equal(local.commitId);
        ids.add(local.commitId);
        await w.append();
      }
      expect(ids.size).to.equal(3);
      const part = (await openStore(dir)).files[0]!.path;
      expect((await openStore(join(dir, part))).commitId).to.equal(null);
    } finally {
      await served.close();
    }
  });

  it('while nothing changes, each look is one conditional GET answered 304 without a body (HTTP), and no other request is sent', async () => {
    const dir = join(tmp(), 'idle');
    await writer(dir).create();
    const log: StoreServerLogEntry[] = [];
    const LOOKS = 10;
    let reached: () => void = () => {};
    const looked = new Promise<void>((resolve) => (reached = resolve));
    const served = await serveStore(dir, {
      log: (e) => {
        log.push(e);
        if (log.filter((x) => x.path.endsWith('/_metadata') && x.status === 304).length === LOOKS) reached();
      },
    });
    try {
      const store = await openStore(served.url);
      const opened = log.length;
      const bytesBefore = store.location.stats!.bytesFetched;
      const controller = new AbortController();
      const started = performance.now();
      const watch = follow(store, { signal: controller.signal, intervalMs: 20 });
      await looked;
      const elapsed = performance.now() - started;
      controller.abort();
      await watch.done;
      const idle = log.slice(opened);
      expect(watch.seen).to.deep.equal([]);
      expect(idle.length).to.be.within(LOOKS, LOOKS + 1);
      for (const e of idle) expect(e).to.deep.include({ method: 'GET', status: 304, bytes: 0 });
      expect(store.location.stats!.bytesFetched, 'no _metadata body').to.equal(bytesBefore);
      // At most one look per interval (plus the first, at once).
      expect(idle.length).to.be.at.most(Math.floor(elapsed / 20) + 2);
      console.log(`      HTTP, idle: ${idle.length} requests in ${elapsed.toFixed(0)} ms at intervalMs 20, all 304, 0 body bytes`);
    } finally {
      await served.close();
    }
  });

  it('a server that fails some requests while the store is watched (503, reset connections): retried, every commit still seen once', async () => {
    const dir = join(tmp(), 'faults');
    const w = writer(dir);
    await w.create();
    const server = await startStaticServer(dir, true, { faults: { seed: 7, rate: 0.3, kinds: ['503', 'reset'] } });
    try {
      const io = { retry: { attempts: 8, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 10_000 } };
      const { store } = await commitWhileWatching(() => openStore(`${server.url}/`, io), w, { intervalMs: 20 }, 'HTTP with faults');
      expect(server.log.faults['503'] + server.log.faults.reset, 'faults injected').to.be.greaterThan(0);
      expect(store.location.stats!.retries, 'requests of the watch retried').to.be.greaterThan(0);
    } finally {
      await server.close();
    }
  });

  it('a _metadata read while a server was still writing it (cut short) is looked at again, not an error; one that stays unreadable ends the watch naming it', async () => {
    const dir = join(tmp(), 'torn');
    const w = writer(dir);
    await w.create();
    const local = await localLocation(dir);
    // The first `cut` looks after a commit see its _metadata cut short, as s3rver serves an object it is still writing.
    let cut = 0;
    const tearing: StoreLocation = {
      url: local.url,
      list: () => local.list(),
      open: (p) => local.open(p),
      changedSince: async (p, v, signal) => {
        const found = await local.changedSince!(p, v, signal);
        if (!found.changed || !found.file || cut === 0) return found;
        cut--;
        const whole = found.file;
        const bytes = await whole.read(0, Math.floor(whole.byteLength / 2));
        return { changed: true, version: null, file: { name: whole.name, byteLength: bytes.length, read: async (a, b) => bytes.subarray(a, b) } };
      },
    };
    const store = await openStore(tearing);
    const controller = new AbortController();
    const watch = store.watch({ signal: controller.signal, intervalMs: 10 });
    cut = 2;
    await w.append();
    const seen = await watch.next();
    expect(cut, 'both torn reads were made').to.equal(0);
    expect(seen.value.numRows).to.equal(FIRST + STEP);
    expect(seen.value.commitId).to.equal((await openStore(dir)).commitId);
    // Torn at every look: after the bounded attempts, the error names _metadata.
    cut = Infinity;
    await w.append();
    const err = await watch.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ParquetReadError);
    expect((err as ParquetReadError).file).to.match(/_metadata$/);
    controller.abort();
  });

  it('a server that keeps failing ends the watch with a ParquetReadError naming _metadata, after the retries', async () => {
    const dir = join(tmp(), 'down');
    await writer(dir).create();
    const served = await serveStore(dir);
    let down = false;
    const fetch: typeof globalThis.fetch = (input, init) => (down ? Promise.resolve(new Response(null, { status: 503 })) : globalThis.fetch(input, init));
    try {
      const store = await openStore(served.url, { fetch, retry: FAST_RETRY });
      down = true;
      const err = await store
        .watch({ intervalMs: 10 })
        .next()
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err).to.be.instanceOf(ParquetReadError);
      expect((err as ParquetReadError).file).to.equal(`${served.url}_metadata`);
      expect((err as Error).message).to.match(/answered 503.*gave up after 4 attempts/);
      expect(store.location.stats!.retries).to.equal(3);
    } finally {
      await served.close();
    }
  });

  it('an abort ends a pending next() at once, while it waits or while its request is in flight, and leaves no timer or file watcher behind', async function () {
    this.timeout(10_000); // the interval is an hour: only the abort can end these waits in time
    const dir = join(tmp(), 'abort');
    const w = writer(dir);
    await w.create();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const baseline = timers();

    // Waiting: after its first look the watcher sleeps for the interval.
    const spy = counted(await localLocation(dir));
    const store = await openStore(spy.location);
    const controller = new AbortController();
    const watch = store.watch({ signal: controller.signal, intervalMs: 3_600_000 });
    const waiting = watch.next();
    while (spy.looks === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers()).to.equal(baseline + 1);
    controller.abort();
    expect(await waiting).to.deep.equal({ value: undefined, done: true });
    expect(timers()).to.equal(baseline);
    expect(spy.subscribed).to.equal(0);

    // In flight: a server that never answers the look.
    const served = await serveStore(dir);
    let hang = false;
    let cancelled = 0;
    const fetch: typeof globalThis.fetch = (input, init) => {
      if (!hang) return globalThis.fetch(input, init);
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => (cancelled++, reject(init.signal!.reason))));
    };
    try {
      const remote = await openStore(served.url, { fetch });
      hang = true;
      const aborter = new AbortController();
      const pending = remote.watch({ signal: aborter.signal, intervalMs: 3_600_000 }).next();
      await new Promise((resolve) => setImmediate(resolve));
      aborter.abort();
      expect(await pending).to.deep.equal({ value: undefined, done: true });
      expect(cancelled, 'the request in flight was cancelled').to.equal(1);
    } finally {
      await served.close();
    }

    // Leaving the loop (break) ends it too: a commit after the opening is yielded at once, then the loop is left.
    const spy2 = counted(await localLocation(dir));
    const before = await openStore(spy2.location);
    await w.append();
    let yielded = 0;
    for await (const _ of watchStore(before, { intervalMs: 3_600_000 })) {
      yielded++;
      break;
    }
    expect(yielded).to.equal(1);
    expect(spy2.subscribed).to.equal(0);
    expect(timers()).to.equal(baseline);
  });

  it('checks its options before any I/O, and refuses a single file', async () => {
    const dir = join(tmp(), 'options');
    await writer(dir).create();
    const store = await openStore(dir);
    expect(() => store.watch({ intervalMs: 0 })).to.throw(ConfigError, 'watchStore: intervalMs must be an integer >= 1; received 0');
    expect(() => watchStore(store, { signal: 'stop' as never })).to.throw(ConfigError, 'watchStore: signal must be an AbortSignal');
    expect(() => watchStore(store, { every: 5 } as never)).to.throw(ConfigError, 'watchStore: unknown option "every"; valid options: signal, intervalMs');
    expect(() => watchStore({ ...store } as Store)).to.throw(ConfigError, /store must be a Store returned by openStore/);
    const single = await openStore(join(dir, store.files[0]!.path));
    expect(() => single.watch()).to.throw(ConfigError, /is one Parquet file, which has no commits to watch/);
  });

  describe('over S3 (s3rver)', () => {
    let s3: S3TestServer;
    let proxy: S3TestProxy;
    let failing = 0;
    let io: { s3: { endpoint: string; credentials: typeof S3RVER_KEY }; retry: typeof FAST_RETRY };
    before(async () => {
      s3 = await startS3rver({ buckets: ['data'] });
      // Counts the requests, and fails the next `failing` GETs of _metadata with 503 SlowDown.
      proxy = await startS3Proxy(s3.endpoint, {
        intercept: (req) => {
          if (failing === 0 || req.method !== 'GET' || !req.url?.endsWith('/_metadata') || req.headers.range !== undefined) return undefined;
          failing--;
          return { status: 503, body: s3ErrorXml('SlowDown', 'Please reduce your request rate.') };
        },
      });
      io = { s3: { endpoint: proxy.endpoint, credentials: S3RVER_KEY }, retry: FAST_RETRY };
    });
    after(async () => {
      await proxy?.close();
      await s3?.close();
    });

    it('conditional GetObjects see every commit once, in order, whole; while nothing changes each look is answered 304 without a body', async () => {
      const url = 's3://data/watched';
      const w = writer(url, io);
      await w.create();
      await commitWhileWatching(() => openStore(url, io), w, { intervalMs: 50 }, 'S3');

      // Idle: ten looks, counted at the proxy.
      const store = await openStore(url, io);
      const controller = new AbortController();
      let looks = 0;
      const location: StoreLocation = {
        ...store.location,
        changedSince: async (p, v, s) => {
          const found = await store.location.changedSince!(p, v, s);
          if (++looks === 10) controller.abort();
          return found;
        },
      };
      const watched = await openStore(location);
      const from = proxy.seen.length;
      const bytes = store.location.stats!.bytesFetched;
      const watch = follow(watched, { signal: controller.signal, intervalMs: 10 });
      await watch.done;
      expect(watch.seen).to.deep.equal([]);
      const idle = proxy.seen.slice(from);
      expect(idle.length).to.equal(10);
      for (const r of idle) {
        expect(r.method).to.equal('GET');
        expect(r.url).to.match(/\/data\/watched\/_metadata$/);
        expect(r.headers['if-none-match']).to.match(/^"[0-9a-f]{32}"$/);
        expect(r.status).to.equal(304);
      }
      expect(store.location.stats!.bytesFetched, 'no _metadata body').to.equal(bytes);
    });

    it('a few 503s from the endpoint are retried and the commit is still seen; one that keeps failing ends the watch with an ObjectStoreError', async () => {
      const url = 's3://data/failing';
      const w = writer(url, io);
      await w.create();
      const store = await openStore(url, io);
      const controller = new AbortController();
      const watch = store.watch({ signal: controller.signal, intervalMs: 10 });
      failing = 2;
      const rows = await w.append();
      expect((await watch.next()).value.numRows).to.equal(rows);
      expect(failing).to.equal(0);
      expect(store.location.stats!.retries).to.be.at.least(2);
      controller.abort();

      failing = Infinity;
      try {
        const err = await store
          .watch({ intervalMs: 10 })
          .next()
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(err).to.be.instanceOf(ObjectStoreError);
        expect(err).to.deep.include({ reason: 'unavailable', operation: 'GetObject', key: 'failing/_metadata' });
        expect((err as Error).message).to.match(/503.*gave up after 4 attempts/);
      } finally {
        failing = 0;
      }
    });
  });
});
