import type { AsyncBuffer } from 'hyparquet';

/**
 * One file as random-access bytes: the only I/O the decoder needs. Local files, HTTP(S) URLs and object
 * stores (S3, GCS: a ranged GetObject) all fit behind it.
 *
 * @example
 * const src: ByteRangeSource = { name: 'mem', byteLength: bytes.length, read: async (s, e) => bytes.slice(s, e) };
 */
export interface ByteRangeSource {
  /** Path or URL, for error messages. */
  readonly name: string;
  /** Size of the file in bytes. */
  readonly byteLength: number;
  /**
   * Which version of the file was opened, when the location can tell (an object store's ETag, or its size and
   * Last-Modified): a cache keyed by it never serves bytes of a replaced file, and a change is detected.
   */
  readonly version?: string;
  /** Bytes `[start, end)`; `end <= byteLength`. The result may be a view; callers do not modify it. */
  read(start: number, end: number): Promise<Uint8Array>;
}

/**
 * Bytes held in memory as a `ByteRangeSource` (a file fetched whole, a test fixture).
 *
 * @example
 * const store = await openStore({ url: 'mem://one', list: async () => ['a.parquet'], open: async (p) => (p === 'a.parquet' ? bytesSource(p, bytes) : null) });
 */
export function bytesSource(name: string, bytes: Uint8Array): ByteRangeSource {
  return { name, byteLength: bytes.length, read: async (start, end) => bytes.subarray(start, end) };
}

/** hyparquet's `AsyncBuffer` over a source (hyparquet wants ArrayBuffers it may keep). */
export function asyncBufferOf(source: ByteRangeSource): AsyncBuffer {
  return {
    byteLength: source.byteLength,
    async slice(start: number, end = source.byteLength) {
      const b = await source.read(start, end);
      return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
    },
  };
}
