import { watch } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../errors.js';
import { bytesSource } from '../store/byte-range-source.js';
import type { HttpSourceOptions } from '../store/http-source.js';
import { type FileLook, isHiddenName, type StoreLocation } from '../store/store-location.js';
import { fileSource } from './file-source.js';

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (isHiddenName(e.name)) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) await walk(root, full, out);
    else if (e.isFile() && e.name.endsWith('.parquet')) out.push(relative(root, full).split(sep).join('/'));
  }
}

/**
 * How long after its modification time a file may still change without its size, inode or times showing it:
 * the coarsest timestamp granularity of common file systems (FAT, HFS+: 1-2 s; ext4's is a clock tick).
 */
const RACY_MS = 2_000;

/**
 * Looks whether a file changed since `version` (its inode, size, modification and change times): an open and
 * an fstat, which on NFS also revalidates the attributes a bare stat may answer from its cache. A file
 * modified in the last `RACY_MS` is read whatever its version says (a rename onto a reused inode within one
 * timestamp tick, with the same size, looks unchanged), and its bytes are the caller's to compare.
 */
async function fileChangedSince(file: string, version: string | null): Promise<FileLook> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { changed: true, version: null, file: null };
    throw err;
  }
  try {
    const st = await fh.stat({ bigint: true });
    const now = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const racy = Number(st.mtimeMs) > Date.now() - RACY_MS;
    if (now === version && !racy) return { changed: false };
    // From the descriptor that was stat'ed: the bytes are those of this version, even if a commit renames a new file in meanwhile.
    return { changed: true, version: now, file: bytesSource(file, await fh.readFile()) };
  } finally {
    await fh.close();
  }
}

/**
 * Calls `onChange` on file-system events naming `file` in its folder (a rename onto it is how a commit lands).
 * The watcher does not keep the process alive, and a folder that cannot be watched (no inotify watches left,
 * some network file systems) just sends nothing: callers poll as well.
 */
function watchFile(file: string, onChange: () => void): () => void {
  const name = basename(file);
  let watcher: ReturnType<typeof watch>;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) onChange();
    });
  } catch {
    return () => {};
  }
  watcher.on('error', () => watcher.close());
  return () => watcher.close();
}

/**
 * A local folder (listed recursively, so Hive `key=value` folders are found) or a single local file.
 *
 * @example
 * const store = await openStore(await localLocation('./btc-store'));
 */
export async function localLocation(pathOrUrl: string | URL): Promise<StoreLocation> {
  const path = pathOrUrl instanceof URL ? fileURLToPath(pathOrUrl) : pathOrUrl;
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw new StoreError(`store ${path} does not exist; check the path, or create the store with materializeDataset() or \`tfpl materialize\``, path, { cause: err });
  }
  const single = st.isFile();
  const root = single ? dirname(path) : path;
  return {
    url: path,
    singleFile: single,
    async list() {
      if (single) return [basename(path)];
      const out: string[] = [];
      await walk(root, root, out);
      return out;
    },
    async open(rel) {
      const file = join(root, ...rel.split('/'));
      try {
        // Summary files are replaced by rename at every commit: read each in one go, so its size and its
        // bytes come from the same snapshot. Part files never change once committed.
        if (rel === '_metadata' || rel === '_common_metadata') return bytesSource(file, await readFile(file));
        return await fileSource(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    changedSince: (rel, version) => fileChangedSince(join(root, ...rel.split('/')), version),
    watchFile: (rel, onChange) => watchFile(join(root, ...rel.split('/')), onChange),
  };
}

/**
 * What a store path means in Node (the platform seam's `pathLocation`): a local folder or file, given as a
 * path or a `file://` URL. A missing path's `StoreError` is led by the caller's name.
 */
export function pathLocation(path: string, _http: HttpSourceOptions, caller: string): Promise<StoreLocation> {
  return localLocation(path.startsWith('file://') ? new URL(path) : path).catch((err: unknown) => {
    throw err instanceof StoreError ? new StoreError(`${caller}: ${err.message}`, err.path, { cause: err }) : err;
  });
}
