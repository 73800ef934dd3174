import type { ColumnMetaData } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { crc32 } from './store-platform.js';

/**
 * Key of a column chunk's own key-value metadata (ColumnMetaData field 8) under which this SDK records the
 * CRC-32 of every page of the chunk. parquet-wasm (arrow-rs) cannot write the format's page CRC, so the
 * writer records one per page itself; as chunk metadata it is copied into `_metadata` with the row group.
 */
export const PAGE_CRC_KEY = 'tfjs-parquet-loader.page-crc32.v1';

/** One page of a column chunk as laid out on disk: header and data, `length` bytes from `offset` in the chunk. */
export interface PageSpan {
  offset: number;
  length: number;
  /** The format's page CRC (of the page data after the header) when the writer recorded one. */
  formatCrc: number | undefined;
  /** Bytes of the Thrift page header. */
  headerLength: number;
}

/** The CRC of each page of a chunk, covering its header and its data: what the SDK records per page. */
export interface PageCrc {
  length: number;
  crc: number;
}

/**
 * The pages of one column chunk, found by walking its page headers. Throws when a header does not parse or
 * a page runs past the chunk.
 *
 * @example
 * const pages = pageSpans(chunkBytes); // [{ offset: 0, length: 1748, headerLength: 22, formatCrc: undefined }]
 */
export function pageSpans(chunk: Uint8Array): PageSpan[] {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const pages: PageSpan[] = [];
  let offset = 0;
  while (offset < chunk.length) {
    const reader = { view, offset };
    const header = parquetHeader(reader);
    const headerLength = reader.offset - offset;
    const length = headerLength + header.compressed_page_size;
    if (!(header.compressed_page_size >= 0) || offset + length > chunk.length) {
      throw new Error(`page ${pages.length} at chunk byte ${offset} claims ${header.compressed_page_size} bytes, past the chunk's end (${chunk.length} bytes)`);
    }
    pages.push({ offset, length, headerLength, formatCrc: header.crc === undefined ? undefined : header.crc >>> 0 });
    offset += length;
  }
  return pages;
}

/** The record stored under `PAGE_CRC_KEY`: `length:crc` per page, crc in 8 hex digits, space-separated. */
export function formatPageCrcs(pages: readonly PageCrc[]): string {
  return pages.map((p) => `${p.length}:${p.crc.toString(16).padStart(8, '0')}`).join(' ');
}

/** Parses a `PAGE_CRC_KEY` record; null when it is malformed. */
export function parsePageCrcs(value: string): PageCrc[] | null {
  const pages: PageCrc[] = [];
  for (const item of value.split(' ')) {
    const m = /^(\d{1,10}):([0-9a-f]{8})$/.exec(item);
    if (!m) return null;
    pages.push({ length: Number(m[1]), crc: parseInt(m[2]!, 16) });
  }
  return pages;
}

/** The byte range of a column chunk in its file, as every Parquet reader derives it. */
export function chunkRange(meta: ColumnMetaData): { start: number; end: number } {
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  return { start, end: start + Number(meta.total_compressed_size) };
}

/** A page whose bytes do not match their checksum. */
export interface ChecksumMismatch {
  /** Page index in the chunk (0 is the dictionary page when there is one). */
  page: number;
  /** Byte offset of the page in the file. */
  fileOffset: number;
  reason: string;
}

/**
 * Verifies the pages of one column chunk (`bytes`, starting at `fileOffset` of its file): against the
 * SDK's recorded per-page CRCs when the chunk has them, else against the format's page CRCs where the
 * writer recorded them (other writers; a page without one is not checked). Returns the first mismatch, or
 * null when every checked page matches.
 *
 * @example
 * const bad = verifyChunkChecksums(bytes, meta, start); // null, or { page: 0, fileOffset: 4, reason: '…' }
 */
export function verifyChunkChecksums(bytes: Uint8Array, meta: ColumnMetaData, fileOffset: number): ChecksumMismatch | null {
  const record = meta.key_value_metadata?.find((kv) => kv.key === PAGE_CRC_KEY)?.value;
  if (record !== undefined) {
    const pages = parsePageCrcs(record);
    if (!pages) return { page: 0, fileOffset, reason: `its page checksum record ${JSON.stringify(record.slice(0, 40))} is malformed` };
    const total = pages.reduce((s, p) => s + p.length, 0);
    if (total !== bytes.length) return { page: 0, fileOffset, reason: `its pages were recorded as ${total} bytes but the chunk holds ${bytes.length}` };
    let offset = 0;
    for (let i = 0; i < pages.length; i++) {
      const { length, crc } = pages[i]!;
      const actual = crc32(bytes.subarray(offset, offset + length));
      if (actual !== crc) return { page: i, fileOffset: fileOffset + offset, reason: `CRC-32 of its ${length} bytes is ${hex(actual)}, recorded ${hex(crc)}` };
      offset += length;
    }
    return null;
  }
  let spans: PageSpan[];
  try {
    spans = pageSpans(bytes);
  } catch {
    return null; // no checksums to hold it against: the decoder reports the broken page itself
  }
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    if (s.formatCrc === undefined) continue;
    const actual = crc32(bytes.subarray(s.offset + s.headerLength, s.offset + s.length));
    if (actual !== s.formatCrc) return { page: i, fileOffset: fileOffset + s.offset, reason: `CRC-32 of its data is ${hex(actual)}, its page header records ${hex(s.formatCrc)}` };
  }
  return null;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
