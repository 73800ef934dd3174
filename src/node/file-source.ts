import { type FileHandle, open, stat } from 'node:fs/promises';
import type { ByteRangeSource } from '../store/byte-range-source.js';
import { FileChangedError } from '../store/parquet-read-error.js';

/**
 * A local file as a `ByteRangeSource`. Reads in flight at the same time share one descriptor, closed when
 * the last of them ends, so no descriptor outlives a read (readers can be abandoned without leaking
 * handles) and a reader prefetching row groups does not open and close the file once per column chunk.
 * Its size and modification time are pinned when it is opened, and checked each time a descriptor is
 * opened: a file replaced or rewritten since is refused, never read half old and half new.
 *
 * @example
 * const src = await fileSource('./btc-store/part-00000-….parquet');
 * const tail = await src.read(src.byteLength - 8, src.byteLength);
 */
export async function fileSource(path: string): Promise<ByteRangeSource> {
  const { size: byteLength, mtimeMs } = await stat(path);
  let shared: { handle: Promise<FileHandle>; users: number } | null = null;
  const openPinned = async (): Promise<FileHandle> => {
    const fh = await open(path, 'r');
    const now = await fh.stat().catch(async (err: unknown) => {
      await fh.close();
      throw err;
    });
    if (now.size !== byteLength || now.mtimeMs !== mtimeMs) {
      await fh.close();
      const seen = `${now.size} bytes modified ${new Date(now.mtimeMs).toISOString()}, opened as ${byteLength} bytes modified ${new Date(mtimeMs).toISOString()}`;
      throw new FileChangedError(`the file changed after the store was opened (${seen}); nothing of the new bytes was used: reopen the store to read its new state`, { file: path });
    }
    return fh;
  };
  return {
    name: path,
    byteLength,
    version: `${byteLength}@${mtimeMs}`,
    async read(start, end) {
      const out = new Uint8Array(end - start);
      const use = (shared ??= { handle: openPinned(), users: 0 });
      use.users++;
      try {
        const f = await use.handle;
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await f.read(out, done, out.length - done, start + done);
          if (bytesRead === 0) throw new Error(`${path}: file ended at byte ${start + done}, expected ${end} (file changed while reading?)`);
          done += bytesRead;
        }
      } finally {
        if (--use.users === 0) {
          if (shared === use) shared = null;
          await use.handle.then(
            (f) => f.close(),
            () => {},
          );
        }
      }
      return out;
    },
  };
}
