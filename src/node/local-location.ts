import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../errors.js';
import { bytesSource } from '../store/byte-range-source.js';
import type { HttpSourceOptions } from '../store/http-source.js';
import { isHiddenName, type StoreLocation } from '../store/store-location.js';
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
