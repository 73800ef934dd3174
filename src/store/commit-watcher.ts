import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { intAtLeast, parseOptions } from '../options.js';
import type { ByteRangeSource } from './byte-range-source.js';
import { commitIdOfSource } from './commit-id.js';
import { isEntityTag } from './http-changed-since.js';
import { FileChangedError, ParquetReadError } from './parquet-read-error.js';
import type { FileLook, StoreLocation } from './store-location.js';

/**
 * Between two looks at a local `_metadata`: a fallback to file-system events, which usually wake the watcher
 * within milliseconds; a stat a second costs nothing and bounds what a lost event delays.
 */
export const LOCAL_WATCH_INTERVAL_MS = 1_000;
/**
 * Between two looks at a remote `_metadata`: one small conditional GET, 1,800 an hour per watcher (cents a
 * month on S3), seeing a commit within about 2 s: far below the hour or minute between a collector's commits.
 */
export const REMOTE_WATCH_INTERVAL_MS = 2_000;

/** Opens of one commit that find it already replaced (an overwrite deleted its parts) before that is reported. */
const OPEN_ATTEMPTS = 5;

const METADATA = '_metadata';

/**
 * Options of `watchStore` and `store.watch`.
 */
export const watchOptionsSchema = z.strictObject({
  /** Ends the iteration: a pending `next()` resolves done at once, and nothing is left running. Default: none. */
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional(),
  /**
   * Milliseconds between two looks at `_metadata`. Default 1 000 for a local folder (a fallback to its
   * file-system events), 2 000 for HTTP and object stores (a conditional GET each).
   */
  intervalMs: intAtLeast(1).optional(),
});

/** Options of `watchStore`; see `watchOptionsSchema`. */
export type WatchOptions = z.input<typeof watchOptionsSchema>;

/** What a watch starts from: a store's location and commit, and how to open a snapshot of a `_metadata`. */
export interface WatchStart<S> {
  readonly url: string;
  readonly location: StoreLocation;
  /** The commit the store was opened at (null: no `_metadata`). */
  readonly commitId: string | null;
  /** The version (ETag) of the `_metadata` it was opened from, if any. */
  readonly version: string | null;
  /** Opens the store whose commit is `metadata`, as the first store was opened. */
  open(metadata: ByteRangeSource): Promise<S>;
}

/**
 * Each newer commit of a store, opened whole, in commit order: see `watchStore`. Options are checked now,
 * before any I/O; the looks start with the first `next()`.
 *
 * @example
 * for await (const snapshot of watchCommits(start, { intervalMs: 500 }, 'watchStore')) console.log(snapshot.commitId);
 */
export function watchCommits<S extends { readonly commitId: string | null }>(start: WatchStart<S>, options: WatchOptions, caller: string): AsyncIterableIterator<S> {
  const o = parseOptions(caller, watchOptionsSchema, options);
  if (start.location.singleFile) throw new ConfigError(`${caller}: ${start.url} is one Parquet file, which has no commits to watch; open and watch the store's folder`);
  const intervalMs = o.intervalMs ?? (start.location.stats === undefined ? LOCAL_WATCH_INTERVAL_MS : REMOTE_WATCH_INTERVAL_MS);
  return commits(start, intervalMs, o.signal);
}

async function* commits<S extends { readonly commitId: string | null }>(start: WatchStart<S>, intervalMs: number, signal: AbortSignal | undefined): AsyncGenerator<S, void, undefined> {
  const { location } = start;
  const look = (version: string | null): Promise<FileLook> => (location.changedSince ? location.changedSince(METADATA, version, signal) : lookByOpening(location, version));
  const wake = new Wakeup();
  const stopEvents = location.watchFile?.(METADATA, wake.set) ?? null;
  signal?.addEventListener('abort', wake.set);
  try {
    let current = start.commitId;
    // An ETag is what every server and object store compares with If-None-Match; any other version (a size
    // and a date) is not trusted, and the first look compares bytes.
    let version = start.version !== null && isEntityTag(start.version) ? start.version : null;
    let failed = null as { id: string; times: number } | null;
    // The first look at once: a commit may have landed since the store was opened.
    for (let first = true; ; first = false) {
      if (!first) await wake.next(intervalMs);
      if (signal?.aborted) return;
      const found = await unlessAborted(look(version), signal);
      if (found === ABORTED) return;
      if (!found.changed) continue;
      version = found.version;
      // No _metadata now (a tool that replaces it by delete and write, or a store not committed yet): look again later.
      if (found.file === null) continue;
      const id = await commitIdOfSource(found.file);
      if (id === current) continue;
      let snapshot: S | typeof ABORTED;
      try {
        snapshot = await unlessAborted(start.open(found.file), signal);
      } catch (err) {
        // Replaced while it was opened (an overwrite deleted its parts): the next commit is there to open. Or
        // read while it was being written, on a server that writes an object in place rather than replacing it
        // whole (s3rver, some S3-compatible stores): the whole file is there at the next look. Either way a
        // commit that stays unreadable ends the watch with its error after OPEN_ATTEMPTS looks.
        if (!(err instanceof FileChangedError) && !isMetadataError(err)) throw err;
        failed = failed?.id === id ? { id, times: failed.times + 1 } : { id, times: 1 };
        if (failed.times >= OPEN_ATTEMPTS) throw err;
        version = null;
        // The next commit is there now; a file being written needs the interval to be finished.
        if (err instanceof FileChangedError) wake.set();
        continue;
      }
      if (snapshot === ABORTED) return;
      failed = null;
      current = snapshot.commitId;
      yield snapshot;
    }
  } finally {
    stopEvents?.();
    signal?.removeEventListener('abort', wake.set);
    wake.stop();
  }
}

/** A failure to read `_metadata` itself (its footer cut short, its magic missing), not one of its parts. */
function isMetadataError(err: unknown): boolean {
  return err instanceof ParquetReadError && (err.file === METADATA || err.file.endsWith(`/${METADATA}`)) && err.rowGroup === undefined;
}

/** A location that cannot look without reading: the file is opened, and its `version` compared when it has one. */
async function lookByOpening(location: StoreLocation, version: string | null): Promise<FileLook> {
  const file = await location.open(METADATA);
  if (file === null) return { changed: true, version: null, file: null };
  if (file.version !== undefined && file.version === version) return { changed: false };
  return { changed: true, version: file.version ?? null, file };
}

const ABORTED = Symbol('aborted');

/** `work`'s result, or ABORTED as soon as `signal` aborts (`work` then ends on its own, its failure ignored). */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) resolve(ABORTED);
        else reject(err);
      },
    );
    if (signal.aborted) resolve(ABORTED);
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The watcher's sleep: until the interval has passed or something asked it to look now (a file-system
 * event, an abort, a snapshot to open again). A request that came while it was not sleeping is kept, so the
 * next sleep ends at once: an event during a look may be about a commit the look did not see.
 */
class Wakeup {
  #pending = false;
  #resolve: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  readonly set = (): void => {
    this.#pending = true;
    this.#fire();
  };

  next(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(() => this.#fire(), ms);
    });
  }

  #fire(): void {
    const resolve = this.#resolve;
    if (!resolve) return;
    clearTimeout(this.#timer);
    this.#resolve = null;
    this.#pending = false;
    resolve();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#fire();
  }
}
