import type { ColumnChunk, Compressors, FileMetaData, SchemaElement } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import type { Column } from '../schema/columns.js';
import { PAGE_CRC_KEY, parsePageCrcs } from '../store/page-checksums.js';
import { ParquetReadError, type ParquetReadLocation } from '../store/parquet-read-error.js';
import type { ByteRange } from '../store/range-fetcher.js';
import { crc32 } from '../store/store-platform.js';
import { type ChunkPages, checkPageFits, checkPageShape, type PageHeader, type PageLimits, pageFits, type PageRef } from './chunk-pages.js';
import { concat } from './column-convert.js';
import type { ColumnSpec } from './column-spec.js';
import { decodePageRows } from './page-decode.js';
import { dictionaryValues, PageStream, STREAM_READ_BYTES, whyNotStreamable } from './page-stream.js';
import { topLevelColumns } from '../store/parquet-schema-tree.js';

/** A streamed page's bytes could not be read: the read's own error, passed on as it is. */
class PageReadFailure extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Bytes read first from a page whose size uncompressed is not known yet (its header is in them). */
const HEADER_BYTES = 64 * 2 ** 10;

const hex = (n: number) => n.toString(16).padStart(8, '0');

/** What a cursor reads: one column chunk of one row group. */
export interface ColumnCursorInit {
  pages: ChunkPages;
  /** The decode footer (one row group) and its chunk of this column. */
  metadata: FileMetaData;
  chunk: ColumnChunk;
  element: SchemaElement | null;
  spec: ColumnSpec;
  compressors: Compressors;
  tensors: typeof import('./tensor-codecs.js') | null;
  limits: PageLimits;
  verifyChecksums: boolean;
  where: ParquetReadLocation;
}

/**
 * Where the cursor is: consecutive pages decoded together (their values), or one page too large for that
 * read as a stream; the rows they hold, and the next row the cursor gives.
 */
interface OpenPage {
  /** The first page, for messages. */
  page: PageRef;
  firstRow: number;
  endRow: number;
  nextRow: number;
  values: Column | null;
  stream: PageStream | null;
}

/**
 * Reads rows of one column chunk slice by slice, keeping its place: in order, every page is fetched and
 * decoded once, whatever the slices' boundaries; a slice elsewhere (a shard, a shuffled epoch) starts at the
 * page holding its first row. A page is decoded whole when it fits `maxBatchBytes`, else streamed (PLAIN
 * numbers in uncompressed, zstd or gzip pages: a DuckDB page of 100 MB is read a few MB at a time), else
 * refused with a `ParquetReadError` naming it. Every page is checked before it is decoded: its header
 * against the limits and the shape of a readable file, its bytes against its checksum.
 *
 * @example
 * const prices = await cursor.read(262_144, 524_288); // Float32Array(262_144)
 */
export class ColumnCursor {
  readonly #c: ColumnCursorInit;
  #open: OpenPage | null = null;
  #dictionary: Promise<Uint8Array | null> | null = null;
  #crcs: number[] | null | undefined = undefined;

  constructor(init: ColumnCursorInit) {
    this.#c = init;
  }

  /** One read at a time: units decoded at once ask in order, and each takes up where the one before stopped. */
  #queue: Promise<unknown> = Promise.resolve();

  /** Rows [rowStart, rowEnd) of the row group. */
  read(rowStart: number, rowEnd: number, signal?: AbortSignal): Promise<Column> {
    const run = this.#queue.then(() => this.#read(rowStart, rowEnd, signal));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #read(rowStart: number, rowEnd: number, signal?: AbortSignal): Promise<Column> {
    const parts: Column[] = [];
    let row = rowStart;
    if (this.#open && this.#open.nextRow !== row) this.#leave();
    while (row < rowEnd) {
      this.#open ??= await this.#openAt(row, rowEnd, signal);
      const take = Math.min(rowEnd, this.#open.endRow) - row;
      parts.push(await this.#take(this.#open, take));
      row += take;
      if (row === this.#open.endRow) this.#leave();
      else this.#open.nextRow = row;
    }
    return parts.length === 1 ? parts[0]! : (concat(parts, rowEnd - rowStart) as Column);
  }

  /** Leaves the open page (finished, or the next read starts elsewhere): a streamed one frees its decompressor. */
  #leave(): void {
    this.#open?.stream?.close();
    this.#open = null;
  }

  /** Frees what the cursor holds open (a streamed page's decompressor); it can still read afterwards. */
  close(): void {
    const run = this.#queue.then(() => this.#leave());
    this.#queue = run.catch(() => {});
  }

  #fail(reason: string, page: number, cause?: unknown): ParquetReadError {
    return new ParquetReadError(reason, { ...this.#c.where, page }, cause === undefined ? undefined : { cause });
  }

  async #take(open: OpenPage, n: number): Promise<Column> {
    const from = open.nextRow - open.firstRow;
    if (open.values) {
      const v = open.values;
      return ArrayBuffer.isView(v) ? (v as unknown as { subarray(a: number, b: number): Column }).subarray(from, from + n) : ((v as unknown[]).slice(from, from + n) as Column);
    }
    try {
      return await open.stream!.take(n);
    } catch (err) {
      if (err instanceof PageReadFailure) throw err.cause;
      throw this.#fail(`decoding the page failed: ${(err as Error).message}; the file is corrupt or truncated`, open.page.ordinal, err);
    }
  }

  /** Opens the page holding `row` (and the ones after it, up to `untilRow`, when they fit together), positioned at `row`. */
  async #openAt(row: number, untilRow: number, signal: AbortSignal | undefined): Promise<OpenPage> {
    const c = this.#c;
    const meta = c.chunk.meta_data!;
    const required = c.element?.repetition_type === 'REQUIRED';
    const groupRows = Number(c.metadata.row_groups[0]!.num_rows);
    const pages = await c.pages.pagesFrom(row, untilRow, c.limits.maxPageBytes, signal);
    const first = pages[0]!;
    // Each page's header, checked before anything is decompressed: from the bytes of all of them at once
    // when they are few and small, else from the first 64 KiB of the page (a page too large to decode whole).
    const span = { start: first.start, end: pages[pages.length - 1]!.end };
    const small = span.end - span.start <= c.limits.maxPageBytes;
    const bytes = small ? await c.pages.bytes(span, signal) : await c.pages.bytes({ start: first.start, end: Math.min(first.end, first.start + HEADER_BYTES) }, signal);
    const headers = pages.map((page) => {
      const at = page.start - span.start;
      if (!small && page !== first) throw new Error('a span of pages larger than the bound');
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset + at, bytes.byteLength - at), offset: 0 };
      let header: PageHeader;
      try {
        header = parquetHeader(reader);
      } catch (err) {
        throw this.#fail(`page header at file byte ${page.start} cannot be read (${(err as Error).message}); the file is corrupt or truncated`, page.ordinal, err);
      }
      const fail = (reason: string) => this.#fail(reason, page.ordinal);
      checkPageShape(header, groupRows - page.firstRow, meta, required, fail);
      if (reader.offset + header.compressed_page_size !== page.end - page.start) throw fail(`page header declares ${header.compressed_page_size} bytes but the page spans ${page.end - page.start - reader.offset}; the file is corrupt`);
      return { header, headerLength: reader.offset };
    });
    const endRow = pages[pages.length - 1]!.firstRow + pages[pages.length - 1]!.rows;
    const open: OpenPage = { page: first, firstRow: first.firstRow, endRow, nextRow: first.firstRow, values: null, stream: null };
    const fits = headers.every(({ header }) => pageFits(header, c.limits));
    if (small && fits) {
      pages.forEach((page, k) => {
        if (c.verifyChecksums) this.#verify(bytes.subarray(page.start - span.start, page.end - span.start), headers[k]!.headerLength, headers[k]!.header, page);
      });
      const dictionary = await this.#dictionaryBytes(signal);
      try {
        open.values = await decodePageRows(dictionary, bytes, endRow - first.firstRow, { metadata: c.metadata, chunk: c.chunk, element: c.element, spec: c.spec, compressors: c.compressors, tensors: c.tensors, where: `${c.where.file} row group ${c.where.rowGroup}` });
      } catch (err) {
        if (err instanceof ParquetReadError) throw err;
        throw this.#fail(`decoding pages ${first.ordinal}..${pages[pages.length - 1]!.ordinal} failed: ${(err as Error).message}; the file is corrupt, truncated or uses a feature this reader does not support`, first.ordinal, err);
      }
    } else {
      // One page too large to decode whole: streamed, if its codec and encoding allow.
      const { header, headerLength } = headers[0]!;
      const fail = (reason: string) => this.#fail(reason, first.ordinal);
      const why = whyNotStreamable(header, meta, c.element, c.spec);
      if (why) checkPageFits(header, c.limits, 'data', fail, ` and it cannot be read in pieces (${why})`);
      // Checked before any value is read: the page's checksum, over its bytes read once in pieces.
      if (c.verifyChecksums) await this.#verifyStreamed(first, headerLength, header, signal);
      open.endRow = first.firstRow + first.rows;
      // A failed read (the network, a file changed) is not a corrupt page: it is told apart from decoding errors.
      const read = (start: number, end: number) =>
        c.pages.bytes({ start, end }, signal).catch((err: unknown) => {
          throw new PageReadFailure(err);
        });
      const dictionary = await this.#dictionaryValues(signal);
      open.stream = await PageStream.open(read, first, header, headerLength, meta, c.element!, c.spec, dictionary).catch((err: unknown) => {
        if (err instanceof PageReadFailure) throw err.cause;
        throw this.#fail(`reading the page failed: ${(err as Error).message}; the file is corrupt or truncated`, first.ordinal, err);
      });
    }
    // Positioned at `row`: the rows before it are passed over (decoded, not delivered).
    if (row > open.firstRow) {
      if (open.stream) {
        for (let skip = row - open.firstRow; skip > 0; ) {
          const n = Math.min(skip, Math.floor(c.limits.maxPageBytes / 8));
          await open.stream.take(n);
          skip -= n;
        }
      }
      open.nextRow = row;
    }
    return open;
  }

  /** The dictionary's values as delivered, for streamed pages of its indexes (decoded once per cursor). */
  #dictionaryValues(signal: AbortSignal | undefined): Promise<ArrayLike<unknown> | null> {
    this.#values ??= (async () => {
      const bytes = await this.#dictionaryBytes(signal);
      if (!bytes) return null;
      const c = this.#c;
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
      const header = parquetHeader(reader);
      const element = topLevelColumns(c.metadata.schema).get(c.spec.name);
      if (!element) throw new Error(`column ${c.spec.name} is not a top-level column`);
      return dictionaryValues(bytes, header, reader.offset, c.chunk.meta_data!, element, c.spec, c.compressors, c.tensors, `${c.where.file} row group ${c.where.rowGroup}`);
    })();
    this.#values.catch(() => (this.#values = null));
    return this.#values;
  }
  #values: Promise<ArrayLike<unknown> | null> | null = null;

  #dictionaryBytes(signal: AbortSignal | undefined): Promise<Uint8Array | null> {
    this.#dictionary ??= (async () => {
      const range = await this.#c.pages.dictionary(signal);
      if (!range) return null;
      const bytes = (await this.#c.pages.bytes(range, signal)).slice();
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
      let header: PageHeader;
      try {
        header = parquetHeader(reader);
      } catch (err) {
        throw this.#fail(`dictionary page header at file byte ${range.start} cannot be read (${(err as Error).message}); the file is corrupt or truncated`, 0, err);
      }
      if (this.#c.verifyChecksums) this.#verify(bytes, reader.offset, header, { ...range, ordinal: 0 });
      // A dictionary is decoded whole with every page: it must fit.
      checkPageFits(header, this.#c.limits, 'dictionary', (reason) => this.#fail(reason, 0));
      return bytes;
    })();
    this.#dictionary.catch(() => (this.#dictionary = null));
    return this.#dictionary;
  }

  /** The CRC of each page this SDK's writer recorded for the chunk, by page index; null without a record. */
  #recorded(): number[] | null {
    if (this.#crcs === undefined) {
      const record = this.#c.chunk.meta_data!.key_value_metadata?.find((kv) => kv.key === PAGE_CRC_KEY)?.value;
      this.#crcs = record === undefined ? null : (parsePageCrcs(record)?.map((p) => p.crc) ?? []);
    }
    return this.#crcs;
  }

  /** One page (header and data) against the SDK's recorded CRC of its index, else the format's CRC of its data. */
  #verify(bytes: Uint8Array, headerLength: number, header: PageHeader, page: ByteRange & { ordinal: number }): void {
    const recorded = this.#recorded();
    if (recorded) this.#compare(crc32(bytes), recorded[page.ordinal], `its ${bytes.length} bytes`, page, recorded.length);
    else if (header.crc !== undefined) this.#compare(crc32(bytes.subarray(headerLength)), header.crc >>> 0, 'its data', page, undefined, 'its page header records');
  }

  /** A streamed page's checksum, computed over its bytes read in pieces before the stream starts. */
  async #verifyStreamed(page: PageRef, headerLength: number, header: PageHeader, signal: AbortSignal | undefined): Promise<void> {
    const recorded = this.#recorded();
    if (!recorded && header.crc === undefined) return;
    let crc = 0;
    for (let at = recorded ? page.start : page.start + headerLength; at < page.end; at += STREAM_READ_BYTES) {
      crc = crc32(await this.#c.pages.bytes({ start: at, end: Math.min(page.end, at + STREAM_READ_BYTES) }, signal), crc);
    }
    if (recorded) this.#compare(crc, recorded[page.ordinal], `its ${page.end - page.start} bytes`, page, recorded.length);
    else this.#compare(crc, header.crc! >>> 0, 'its data', page, undefined, 'its page header records');
  }

  #compare(actual: number, want: number | undefined, what: string, page: ByteRange & { ordinal: number }, pages?: number, source = 'recorded'): void {
    const advice = 'the file was damaged after it was written: restore it from a copy or rewrite it (verifyChecksums: false reads it unchecked)';
    if (want === undefined) throw this.#fail(`page checksum mismatch at file byte ${page.start}: the chunk's record holds ${pages} pages, not page ${page.ordinal}; ${advice}`, page.ordinal);
    if (actual !== want) throw this.#fail(`page checksum mismatch at file byte ${page.start}: CRC-32 of ${what} is ${hex(actual)}, ${source} ${hex(want)}; ${advice}`, page.ordinal);
  }
}
