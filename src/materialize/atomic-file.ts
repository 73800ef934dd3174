import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tempFileName } from './store-layout.js';

/** Flushes a directory entry table to disk, so a rename inside it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Temporary sibling of `path`: same folder (so rename is atomic), hidden from Parquet readers. */
export function tempPathFor(path: string): string {
  return join(dirname(path), tempFileName(basename(path)));
}

/** Writes `bytes` to `path` via a temporary file, fsync and rename: readers see the old file or the new one. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}
