import { mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { localLocation } from '../node/local-location.js';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { writePartFile } from './part-writer.js';
import { COMPACTION_LOCK_FILE, isCompactedPartTemp, METADATA_FILE, partSequence, TEMP_PREFIX, tempFileName } from './store-layout.js';
import { acquireStoreLock } from './store-lock.js';
import type { StoreWriteTarget } from './write-target.js';

/**
 * A local store folder as a write target: parts are written under temporary names (hidden from Spark,
 * pyarrow and DuckDB globs), fsynced, renamed, and the folder synced before the commit; every file is
 * replaced by rename; writers are serialised by a lock file. A power loss or a kill at any point leaves the
 * store before the call or after it.
 *
 * @example
 * const target = localWriteTarget('./btc-store');
 */
export function localWriteTarget(dir: string): StoreWriteTarget {
  const unlinkQuiet = (path: string) => unlink(path).catch(() => {});
  return {
    url: dir,
    commitGuard: async () => 'lock',
    location: () => localLocation(dir),
    async lock(timeoutMs) {
      await mkdir(dir, { recursive: true });
      return acquireStoreLock(dir, timeoutMs);
    },
    async cleanBefore(uncommitted) {
      // Only under the lock: no other writer's temporary file or uncommitted part is in progress here. A
      // compaction's are, as it writes them without this lock: they are its own to clean.
      const temps = (await readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX) && !isCompactedPartTemp(n));
      await Promise.all([...temps, ...uncommitted.filter((f) => partSequence(f) >= 0)].map((n) => unlinkQuiet(join(dir, n))));
    },
    writePart: (name, nextBatch, options) => writePartFile(join(dir, tempFileName(name)), nextBatch, options),
    async publishParts(names) {
      for (const name of names) await rename(join(dir, tempFileName(name)), join(dir, name));
      // The parts' names must be durable before the commit that lists them: a power loss may otherwise keep
      // the _metadata rename and lose a part rename.
      if (names.length > 0) await fsyncDir(dir);
    },
    writeSummary: (name, bytes) => writeFileAtomic(join(dir, name), bytes),
    async commit(bytes, _expected, lock) {
      // The lock, not a condition, keeps a second writer out: it must still be this writer's.
      await lock.assertHeld();
      await writeFileAtomic(join(dir, METADATA_FILE), bytes);
      await fsyncDir(dir);
    },
    async removeReplaced(names) {
      await Promise.all(names.map((n) => unlinkQuiet(join(dir, n))));
    },
    async removeLeftovers(names) {
      // Under the lock no other writer has parts in progress here: all of them are a killed writer's.
      await Promise.all(names.map((n) => unlinkQuiet(join(dir, n))));
    },
    async abandon(names) {
      // Parts of a failed call are never listed in _metadata; delete them so glob readers don't see them either.
      await Promise.all(names.flatMap((n) => [unlinkQuiet(join(dir, tempFileName(n))), unlinkQuiet(join(dir, n))]));
    },
    // Only stores that exist are compacted: no folder is made for the lock.
    compactionLock: (timeoutMs) => acquireStoreLock(dir, timeoutMs, COMPACTION_LOCK_FILE),
    async removeCompactionLeftovers(names) {
      const temps = (await readdir(dir)).filter(isCompactedPartTemp);
      await Promise.all([...temps, ...names].map((n) => unlinkQuiet(join(dir, n))));
    },
  };
}
