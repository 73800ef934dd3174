import { ConfigError } from '../errors.js';
import type { WatchOptions } from './commit-watcher.js';
import { isStore, type Store } from './open-store.js';

/**
 * Each newer commit of a store, in commit order, as a fresh `Store` opened whole with the options `store` was
 * opened with, starting after `store`'s own commit (`commitId`). Commits that land between two looks are
 * seen as the latest of them: snapshots, not deltas. A commit is seen whole or not at all: a snapshot never
 * lists a part that is not there, and one replaced while it was opened is opened again. It looks at
 * `_metadata` (the commit point) every `intervalMs`: a folder also wakes on its file-system events and polls
 * with a stat (events can be lost, or never come on network file systems); an HTTP or object store sends a
 * conditional GET (`If-None-Match`; a 304 carries no body). A failed request is retried (`retry`); one that
 * keeps failing ends the iteration with its error (`ParquetReadError`, `ObjectStoreError`). It ends when
 * `signal` aborts, a pending `next()` resolving done at once, or when the loop over it is left.
 *
 * @example
 * const controller = new AbortController();
 * for await (const snapshot of watchStore(await openStore('s3://data/btc'), { signal: controller.signal })) {
 *   console.log(`commit ${snapshot.commitId}: ${snapshot.numRows} rows`);
 * }
 */
export function watchStore(store: Store, options: WatchOptions = {}): AsyncIterableIterator<Store> {
  if (!isStore(store)) throw new ConfigError('watchStore: store must be a Store returned by openStore (open it first: watchStore(await openStore(url)))');
  return store.watch(options);
}
