import { expect } from 'chai';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import type { WatchOptions } from '../../src/store/commit-watcher.js';
import type { Store } from '../../src/store/open-store.js';
import type { StoreLocation } from '../../src/store/store-location.js';

/** A watch running in the background: what it yielded so far, and ways to wait for more. */
export interface Follower {
  readonly seen: Store[];
  /** The next snapshot yielded from now on. */
  next(): Promise<Store>;
  /** Resolves once a snapshot of commit `id` was yielded (rejects if the watch ends first). */
  until(id: string | null): Promise<void>;
  /** Ends when the watch ends (abort), rejects with its error. */
  readonly done: Promise<void>;
}

/** Runs `store.watch(options)` in the background, keeping what it yields. */
export function follow(store: Store, options: WatchOptions): Follower {
  const seen: Store[] = [];
  let waiters: ((s: Store) => void)[] = [];
  const done = (async () => {
    for await (const s of store.watch(options)) {
      seen.push(s);
      const now = waiters;
      waiters = [];
      for (const w of now) w(s);
    }
  })();
  done.catch(() => {});
  const ended = () => done.then(() => Promise.reject(new Error('the watch ended first')));
  const next = () => Promise.race([new Promise<Store>((resolve) => waiters.push(resolve)), ended()]);
  return {
    seen,
    next,
    async until(id) {
      while (!seen.some((s) => s.commitId === id)) await next();
    },
    done,
  };
}

/** Every `price_usd` of a snapshot, read from its parts (the test stores hold rows 0..n-1 with price_usd = i). */
export async function pricesOf(store: Store): Promise<number[]> {
  const reader = await makeBatchReader(store, { columns: ['price_usd'], workers: 0 });
  const out: number[] = [];
  for await (const b of reader) out.push(...Array.from(b.columns.price_usd as Float32Array));
  return out;
}

/**
 * What every watch must have done: snapshots of committed counts only, strictly increasing (in commit order,
 * none twice), each opened whole (every row of its commit read back), the last one the final store.
 */
export async function expectSnapshots(seen: readonly Store[], committedCounts: readonly number[], final: Store, what: string): Promise<void> {
  const counts = seen.map((s) => s.numRows);
  expect(counts.length, `${what}: snapshots`).to.be.greaterThan(0);
  for (const n of counts) expect(committedCounts, `${what}: ${n} rows is a committed count (${counts.join(', ')})`).to.include(n);
  for (let k = 1; k < counts.length; k++) expect(counts[k], `${what}: in commit order (${counts.join(', ')})`).to.be.greaterThan(counts[k - 1]!);
  expect(new Set(seen.map((s) => s.commitId)).size, `${what}: no commit twice`).to.equal(seen.length);
  const last = seen.at(-1)!;
  expect(last.commitId, `${what}: the last snapshot is the final store`).to.equal(final.commitId);
  expect(last.files.map((f) => f.path)).to.deep.equal(final.files.map((f) => f.path));
  for (const s of seen) {
    const prices = await pricesOf(s);
    expect(prices.length, `${what}: snapshot of ${s.numRows} rows reads whole`).to.equal(s.numRows);
    expect(prices.every((p, i) => p === i), `${what}: snapshot of ${s.numRows} rows holds rows 0..${s.numRows - 1}`).to.equal(true);
  }
}

/** The location without its file-system events: only its polling is left. */
export function pollingOnly(location: StoreLocation): StoreLocation {
  return { url: location.url, list: () => location.list(), open: (p) => location.open(p), changedSince: (p, v, s) => location.changedSince!(p, v, s) };
}

/** The location with its looks (once answered) and events counted, and how many event subscriptions are still open. */
export function counted(location: StoreLocation): { location: StoreLocation; looks: number; events: number; subscribed: number } {
  const c = {
    looks: 0,
    events: 0,
    subscribed: 0,
    location: {
      url: location.url,
      list: () => location.list(),
      open: (p: string) => location.open(p),
      changedSince: async (p: string, v: string | null, s?: AbortSignal) => {
        const found = await location.changedSince!(p, v, s);
        c.looks++;
        return found;
      },
      watchFile: (p: string, onChange: () => void) => {
        c.subscribed++;
        const stop = location.watchFile!(p, () => {
          c.events++;
          onChange();
        });
        return () => {
          c.subscribed--;
          stop();
        };
      },
    } satisfies StoreLocation,
  };
  return c;
}

/** The median of some numbers (latencies). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
