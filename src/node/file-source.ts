import { open } from 'node:fs/promises';
import type { ByteRangeSource } from '../store/byte-range-source.js';

/**
 * A local file as a `ByteRangeSource`. Each read opens the file, so no descriptor outlives a read
 * (readers can be abandoned without leaking handles).
 *
 * @example
 * const src = await fileSource('./btc-store/part-00000-….parquet');
 * const tail = await src.read(src.byteLength - 8, src.byteLength);
 */
export async function fileSource(path: string): Promise<ByteRangeSource> {
  const fh = await open(path, 'r');
  let byteLength: number;
  try {
    byteLength = (await fh.stat()).size;
  } finally {
    await fh.close();
  }
  return {
    name: path,
    byteLength,
    async read(start, end) {
      const out = new Uint8Array(end - start);
      const f = await open(path, 'r');
      try {
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await f.read(out, done, out.length - done, start + done);
          if (bytesRead === 0) throw new Error(`${path}: file ended at byte ${start + done}, expected ${end} (file changed while reading?)`);
          done += bytesRead;
        }
      } finally {
        await f.close();
      }
      return out;
    },
  };
}
