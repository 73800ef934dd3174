import { type ColumnChunk, type ColumnMetaData, type Compressors, type FileMetaData, parquetRead, type SchemaElement } from 'hyparquet';
import type { Column } from '../schema/columns.js';
import { PAGE_CRC_KEY } from '../store/page-checksums.js';
import { concat, convertColumn, DECODE_PARSERS } from './column-convert.js';
import type { ColumnSpec } from './column-spec.js';
import { decodeFlatColumn, isFlatNumeric } from './flat-column.js';

/** A Parquet file's leading magic: a column chunk at offset 0 would read as "no dictionary page" (0 is falsy). */
const LEAD = 4;

/** What decoding one page of a column needs besides its bytes. */
export interface PageDecodeContext {
  /** The decode footer (one row group) the chunk belongs to. */
  metadata: FileMetaData;
  chunk: ColumnChunk;
  element: SchemaElement | null;
  spec: ColumnSpec;
  compressors: Compressors;
  tensors: typeof import('./tensor-codecs.js') | null;
  /** For messages. */
  where: string;
}

/**
 * The values of one data page (and the dictionary page before it, when the chunk has one), decoded as a
 * column chunk of their own: the typed-array fast path for flat numbers, else hyparquet. `rows` is the
 * page's row count.
 *
 * @example
 * const values = await decodePageRows(dictionaryBytes, pageBytes, rows, context); // Float64Array(rows)
 */
export async function decodePageRows(dictionary: Uint8Array | null, page: Uint8Array, rows: number, c: PageDecodeContext): Promise<Column> {
  const meta = c.chunk.meta_data!;
  const dictionaryLength = dictionary?.length ?? 0;
  const bytes = new Uint8Array(LEAD + dictionaryLength + page.length);
  if (dictionary) bytes.set(dictionary, LEAD);
  bytes.set(page, LEAD + dictionaryLength);
  const spanMeta: ColumnMetaData = {
    ...meta,
    dictionary_page_offset: dictionary ? BigInt(LEAD) : undefined,
    data_page_offset: BigInt(LEAD + dictionaryLength),
    total_compressed_size: BigInt(bytes.length - LEAD),
    num_values: BigInt(rows),
    // Page checksums are checked against the real chunk's record; these bytes are not that chunk.
    key_value_metadata: meta.key_value_metadata?.filter((kv) => kv.key !== PAGE_CRC_KEY),
  };
  if (c.element && isFlatNumeric(c.element, c.spec)) {
    const fast = decodeFlatColumn(bytes.subarray(LEAD), spanMeta, c.element, c.spec, rows, c.compressors);
    if (fast) return fast;
  }
  const rowGroup = c.metadata.row_groups[0]!;
  const parts: { rowStart: number; data: ArrayLike<unknown> }[] = [];
  await parquetRead({
    file: { byteLength: bytes.length, slice: (s: number, e = bytes.length) => bytes.slice(s, e).buffer },
    metadata: { ...c.metadata, num_rows: BigInt(rows), row_groups: [{ ...rowGroup, num_rows: BigInt(rows), columns: [{ ...c.chunk, file_path: undefined, file_offset: 0n, meta_data: spanMeta }] }] },
    columns: [c.spec.name],
    compressors: c.compressors,
    utf8: false,
    parsers: DECODE_PARSERS as never,
    onChunk: (chunk) => parts.push({ rowStart: chunk.rowStart, data: chunk.columnData as ArrayLike<unknown> }),
  });
  const data = parts.sort((a, b) => a.rowStart - b.rowStart).map((p) => p.data);
  const total = data.reduce((s, p) => s + p.length, 0);
  if (total !== rows) throw new Error(`column ${c.spec.name} decoded ${total} values but its page holds ${rows} rows`);
  return convertColumn(data.length ? concat(data, total) : [], c.spec, c.where, c.tensors);
}
