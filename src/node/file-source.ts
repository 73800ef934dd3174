import { type FileHandle, open, stat } from 'node:fs/promises';
import type { ByteRangeSource } from '../store/byte-range-source.js';

/**
 * A local file as a `ByteRangeSource`. Reads in flight at the same time share one descriptor, closed when
 * the last of them ends, so no descriptor outlives a read (readers can be abandoned without leaking
 * handles) and a reader prefetching row groups does not open and close the file once per column chunk.
 *
 * @example
 * const src = await fileSource('./btc-store/part-00000-….parquet');
 * const tail = await src.read(src.byteLength - 8, src.byteLength);
 */
export async function fileSource(path: string): Promise<ByteRangeSource> {
  const { size: byteLength } = await stat(path);
  let shared: { handle: Promise<FileHandle>; users: number } | null = null;
  return {
    name: path,
    byteLength,
    async read(start, end) {
      const out = new Uint8Array(end - start);
      const use = (shared ??= { handle: open(path, 'r'), users: 0 });
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
