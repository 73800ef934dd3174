import CRC32 from 'crc-32';

/**
 * CRC-32 (ISO-HDLC: zlib's, and Parquet's page CRC) of `bytes` in portable JavaScript, continuing from
 * `seed`. Node's platform seam uses zlib's native kernel instead when it has one; a browser uses this.
 */
export function portableCrc32(bytes: Uint8Array, seed = 0): number {
  return CRC32.buf(bytes, seed) >>> 0;
}
