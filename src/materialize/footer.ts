import { open } from 'node:fs/promises';
import { type FileMetaData, parquetMetadata } from 'hyparquet';

/**
 * Parsers that keep statistics in their physical form (bigint milliseconds instead of `Date`), so a footer
 * read here can be written back into `_metadata` unchanged.
 */
export const RAW_PARSERS = {
  timestampFromMilliseconds: (v: bigint) => v,
  timestampFromMicroseconds: (v: bigint) => v,
  timestampFromNanoseconds: (v: bigint) => v,
  dateFromDays: (v: number) => v,
};

/** Reads only the footer of a local Parquet file: the last 8 bytes, then the metadata they point at. */
export async function readFooter(path: string): Promise<{ metadata: FileMetaData; byteLength: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 12) throw new Error(`parquet file is too short (${size} bytes)`);
    const tail = Buffer.alloc(8);
    await fh.read(tail, 0, 8, size - 8);
    if (tail.toString('latin1', 4) !== 'PAR1') throw new Error('parquet file invalid (footer != PAR1)');
    const metaLen = tail.readUInt32LE(0);
    if (metaLen + 12 > size) throw new Error(`parquet metadata length ${metaLen} exceeds file size ${size}`);
    const buf = Buffer.alloc(metaLen + 8);
    await fh.read(buf, 0, metaLen + 8, size - 8 - metaLen);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    return { metadata: parquetMetadata(bytes, { parsers: RAW_PARSERS as never }), byteLength: size };
  } finally {
    await fh.close();
  }
}

/** Key-value metadata of a footer as a plain object. */
export function keyValues(metadata: FileMetaData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of metadata.key_value_metadata ?? []) if (kv.value !== undefined) out[kv.key] = kv.value;
  return out;
}
