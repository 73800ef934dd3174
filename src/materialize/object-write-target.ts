import { StoreError } from '../errors.js';
import { ObjectStoreError } from '../store/s3/s3-errors.js';
import type { S3Location } from '../store/s3/s3-location.js';
import { writePartBytes } from './part-writer.js';
import { METADATA_FILE } from './store-layout.js';
import type { CommitGuard, StoreWriteTarget } from './write-target.js';

/** The object a writer probes the service's conditional writes with (hidden from readers by its `_`). */
export const CONDITIONAL_PROBE = '_tfpl-conditional-writes';

/** What each store's service was found to do, once per process (a collector commits every minute). */
const guards = new Map<string, Promise<CommitGuard>>();
function remember(url: string, guard: Promise<CommitGuard>): Promise<CommitGuard> {
  guards.set(url, guard);
  guard.catch(() => guards.delete(url));
  return guard;
}

/**
 * Whether `err` is a commit refused because another writer committed first (an object store's failed
 * `If-Match`): nothing of the call was committed, and doing it again from a fresh read is safe.
 *
 * @example
 * catch (err) { if (isLostCommitRace(err) && attempt < 5) continue; throw err; }
 */
export function isLostCommitRace(err: unknown): boolean {
  return err instanceof StoreError && err.cause instanceof ObjectStoreError && err.cause.reason === 'precondition-failed';
}

/** Parts of an unknown writer this recent may still be committed by it, where nothing stops two writers. */
const LEFTOVER_AGE_MS = 60 * 60_000;

/**
 * A store in an object store (S3 and its kin) as a write target. Objects cannot be renamed, so parts are
 * uploaded under their final names (multipart above 8 MiB), which no `_metadata` lists until the commit;
 * `_metadata` is written last, with `If-Match` on the version this write read (`If-None-Match: *` when there
 * was none), so of two writers only one commits and the other fails with a `StoreError`, its parts removed.
 * Whether the service honours those conditions is probed once (a second `If-None-Match: *` PUT of
 * `_tfpl-conditional-writes` must fail); one that ignores them lets the later of two commits replace the
 * earlier (the README says what that means). What a killed writer left is removed after the next commit,
 * not before it (another writer may be uploading right now, and there is no lock to tell); where conditions
 * are ignored, only leftovers older than an hour, since a younger one may be a part another writer is
 * about to commit.
 *
 * @example
 * const target = objectWriteTarget(await s3LocationFor('s3://bucket/btc', {}));
 */
export function objectWriteTarget(location: S3Location): StoreWriteTarget {
  const noLock = { assertHeld: async () => {}, release: async () => {} };
  let guard: Promise<CommitGuard> | null = guards.get(location.url) ?? null;
  const probe = async (): Promise<CommitGuard> => {
    const put = () =>
      location.putFile(CONDITIONAL_PROBE, new TextEncoder().encode('If-None-Match: * must fail on an object that exists\n'), { ifNoneMatch: '*' }).then(
        () => 'written' as const,
        (err: unknown) => {
          if (err instanceof ObjectStoreError && err.reason === 'precondition-failed') return 'refused' as const;
          throw err;
        },
      );
    // The first PUT may create it; a service that honours the condition refuses the second.
    if ((await put()) === 'refused') return 'conditional';
    return (await put()) === 'refused' ? 'conditional' : 'none';
  };
  /** Deletes those of `names` older than LEFTOVER_AGE_MS. */
  const removeOld = async (names: readonly string[]): Promise<void> => {
    if (names.length === 0) return;
    const wanted = new Set(names);
    const cutoff = Date.now() - LEFTOVER_AGE_MS;
    const old = (await location.listAll()).filter((o) => wanted.has(o.path) && o.lastModified !== undefined && o.lastModified.getTime() < cutoff);
    await location.remove(old.map((o) => o.path));
  };
  return {
    url: location.url,
    commitGuard: () => (guard ??= remember(location.url, probe())),
    location: async () => location,
    lock: async () => noLock,
    cleanBefore: async () => {},
    async writePart(name, nextBatch, options) {
      const { bytes, ...part } = await writePartBytes(nextBatch, options);
      // Nothing may already be there: a part name is new (sequence and UUID), so a failed condition is a bug.
      await location.uploadFile(name, [bytes], { ifNoneMatch: '*' });
      return part;
    },
    publishParts: async () => {},
    async writeSummary(name, bytes) {
      await location.putFile(name, bytes);
    },
    async commit(bytes, expected) {
      try {
        await location.putFile(METADATA_FILE, bytes, expected === null ? { ifNoneMatch: '*' } : { ifMatch: expected });
      } catch (err) {
        if (err instanceof ObjectStoreError && err.reason === 'precondition-failed') {
          throw new StoreError(
            `another writer committed to ${location.url} after this write read its state, so this write did not commit ` +
              `(its _metadata is ${expected === null ? 'new' : `no longer ${expected}`}); nothing of this call is visible and its parts are removed: run it again`,
            location.url,
            { cause: err },
          );
        }
        throw err;
      }
    },
    removeReplaced: (names) => location.remove(names),
    async removeLeftovers(names) {
      if (names.length === 0) return;
      if ((await (guard ??= remember(location.url, probe()))) === 'conditional') return location.remove(names);
      await removeOld(names);
    },
    abandon: (names) => location.remove(names),
    compactionLock: async () => noLock,
    // No lock tells a killed compaction from a running one: only age does.
    removeCompactionLeftovers: removeOld,
  };
}
