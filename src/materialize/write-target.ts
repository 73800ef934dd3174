import type * as arrow from 'apache-arrow';
import type { StoreLocation } from '../store/store-location.js';
import type { PartWriteOptions, WrittenPart } from './part-writer.js';

/** Serialises the writers of one store where the target can; see `StoreWriteTarget.lock`. */
export interface StoreLock {
  /** Throws a `StoreError` unless this writer still holds the lock: checked right before a commit. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

/** What stops two writers from both committing: see `StoreWriteTarget.commitGuard`. */
export type CommitGuard = 'lock' | 'conditional' | 'none';

/** Pulls the next row group of a part, or null when the part is complete. */
export type NextBatch = () => Promise<arrow.RecordBatch | null>;

/**
 * Where a writer puts a store's files: a local folder (temporary names, renames, fsync, a lock file) or an
 * object store (parts written under their final names, unlisted until the commit; a conditional commit).
 * Either way `_metadata` is written last and is the commit: a reader sees the store before it or after it.
 */
export interface StoreWriteTarget {
  /** Path or URL, for messages. */
  readonly url: string;
  /**
   * What keeps a second writer from committing over this one: a lock file (local), a conditional commit the
   * service honours, or nothing (a service that ignores conditional writes). Asked once per target.
   */
  commitGuard(): Promise<CommitGuard>;
  /** The store as readers see it now (to read its state before writing). */
  location(): Promise<StoreLocation>;
  /**
   * A local folder takes its writer lock (a second writer waits up to `timeoutMs`); an object store has none
   * to take: there, the commit's condition (`If-Match` on the `_metadata` read) stops a second writer.
   */
  lock(timeoutMs: number): Promise<StoreLock>;
  /** Before writing: removes what killed writers left where it is safe now (a local folder, under its lock). */
  cleanBefore(uncommitted: readonly string[]): Promise<void>;
  /** Writes a part under `name`, which no commit lists yet; readers cannot see it until one does. */
  writePart(name: string, nextBatch: NextBatch, options: PartWriteOptions): Promise<WrittenPart>;
  /** Makes the parts written by this call durable under their names (a local folder renames and syncs). */
  publishParts(names: readonly string[]): Promise<void>;
  /** Writes a summary file whole: `_common_metadata`, or `_metadata` without a condition (a first, empty commit). */
  writeSummary(name: string, bytes: Uint8Array): Promise<void>;
  /**
   * The commit: replaces `_metadata`, on the condition that it is still the version this write started from
   * (`expected`; null when there was none), where the target can check that.
   */
  commit(bytes: Uint8Array, expected: string | null, lock: StoreLock): Promise<void>;
  /** After a commit: deletes the parts it replaced (an overwrite's). */
  removeReplaced(names: readonly string[]): Promise<void>;
  /**
   * After a commit: deletes parts that no commit lists (left by killed writers), where that cannot be a
   * part another writer is about to commit.
   */
  removeLeftovers(names: readonly string[]): Promise<void>;
  /** After a failure: deletes what this call wrote and never committed. */
  abandon(names: readonly string[]): Promise<void>;
  /**
   * Serialises compactions, which rewrite parts without the writers' lock: a local folder's
   * `_tfpl-compaction.lock` (a second compaction waits up to `timeoutMs`); an object store has none to take.
   */
  compactionLock(timeoutMs: number): Promise<StoreLock>;
  /**
   * Deletes what killed compactions left: their temporary files and `compacted` parts no commit lists
   * (`names`). A local folder does it under the compaction lock, so none of it is in progress; an object
   * store only takes those older than an hour, since a younger one may be another compaction's.
   */
  removeCompactionLeftovers(names: readonly string[]): Promise<void>;
}
