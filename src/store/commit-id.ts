import type { ByteRangeSource } from './byte-range-source.js';
import { crc32 } from './store-platform.js';

/**
 * The id of the commit a `_metadata` file records: the CRC-32 of its footer (the Thrift `FileMetaData`, its
 * length and `PAR1`) and the file's size, e.g. `'9b2c41f0-5123'`. It is computed from the bytes alone, so
 * two openings of one commit agree wherever they read it (a folder, HTTP, S3, a copy), where ETags and
 * modification times differ between servers and change when a file is copied. `tail` holds the end of the
 * file, at least its footer.
 *
 * @example
 * commitIdOf(footer.tail, footer.byteLength); // '9b2c41f0-5123'
 */
export function commitIdOf(tail: Uint8Array, byteLength: number): string {
  const footerLength = tail.length >= 8 ? new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(tail.length - 8, true) + 8 : tail.length;
  const footer = tail.subarray(Math.max(0, tail.length - footerLength));
  return `${crc32(footer).toString(16).padStart(8, '0')}-${byteLength}`;
}

/**
 * The commit id of a `_metadata` file read through a source (two reads: its last 8 bytes, then its footer),
 * without parsing it: what a watcher compares before opening a snapshot.
 *
 * @example
 * if ((await commitIdOfSource(source)) !== store.commitId) snapshot = await open(source);
 */
export async function commitIdOfSource(source: ByteRangeSource): Promise<string> {
  const size = source.byteLength;
  if (size < 8) return commitIdOf(await source.read(0, size), size);
  const end = await source.read(size - 8, size);
  const footerLength = Math.min(size, new DataView(end.buffer, end.byteOffset, end.byteLength).getUint32(0, true) + 8);
  return commitIdOf(await source.read(size - footerLength, size), size);
}
