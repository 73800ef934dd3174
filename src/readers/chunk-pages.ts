import type { ColumnChunk, ColumnMetaData } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { readOffsetIndex } from 'hyparquet/src/indexes.js';
import { chunkRange } from '../store/page-checksums.js';
import { ParquetReadError, type ParquetReadLocation } from '../store/parquet-read-error.js';
import type { ByteRange, FetchedPiece } from '../store/range-fetcher.js';

/** One data page of a column chunk: where it lies in the file (header and data), its rows, and its index in the chunk. */
export interface PageRef extends ByteRange {
  firstRow: number;
  rows: number;
  /** Index of the page in its chunk, the dictionary page counted (what page checksums are recorded by). */
  ordinal: number;
}

/**
 * Reads byte ranges of one file (through the store's fetcher: its cache and request slots; in a decode
 * thread, by asking the thread that owns the fetcher).
 */
export type PieceReader = (ranges: readonly ByteRange[], signal?: AbortSignal) => Promise<FetchedPiece[]>;

/** Bounds a page must keep to be read: what `maxBatchBytes` allows. */
export interface PageLimits {
  /** Bytes a page may declare uncompressed, and its values may take decoded (8 bytes a value), to be decoded whole. */
  maxPageBytes: number;
}

/** Bytes read at a header whose page is not known yet: small pages come many to a window. */
const WALK_WINDOW = 2 ** 20;
/** The largest page header read (statistics of long values make large ones); a longer one is corrupt. */
const MAX_HEADER_BYTES = 16 * 2 ** 20;

/**
 * The pages of one column chunk, found as a reader needs them, so rows deep inside a large row group are
 * read without the rest of it: from the chunk's offset index when the writer wrote one (one read), else by
 * walking page headers from the last page known (each header gives the next page's offset), in windows of
 * 1 MiB whose bytes also serve the pages inside them. Every header is checked as it is found: a page running
 * past its chunk, more rows than the row group has left, more PLAIN values than its bytes hold, a dictionary
 * larger than `maxPageBytes` are `ParquetReadError`s naming file, row group, column and page.
 *
 * @example
 * const page = await chunkPages.pageAt(5_000_000); // { start, end, firstRow, rows, ordinal, header, headerLength }
 */
export class ChunkPages {
  readonly #read: PieceReader;
  readonly #byteLength: number;
  readonly #chunk: ColumnChunk;
  readonly #meta: ColumnMetaData;
  readonly #numRows: number;
  readonly #limits: PageLimits;
  readonly #where: ParquetReadLocation;
  readonly #required: boolean;
  readonly #start: number;
  readonly #end: number;
  /** Undefined until the first page is seen. */
  #dictionary: ByteRange | null | undefined = undefined;
  readonly #pages: PageRef[] = [];
  /** Where the walk goes on: the next header's offset, the first row of its page, its ordinal. */
  #next: { offset: number; row: number; ordinal: number };
  #complete = false;
  #indexRead = false;
  /** The last window the walk read: pages inside it need no fetch of their own. */
  #window: FetchedPiece | null = null;
  /** One walk at a time: readers of a chunk at once extend the same list of pages. */
  #queue: Promise<unknown> = Promise.resolve();

  /** `read` reads ranges of the file of `byteLength` bytes holding the chunk. */
  constructor(read: PieceReader, byteLength: number, chunk: ColumnChunk, numRows: number, required: boolean, limits: PageLimits, where: ParquetReadLocation) {
    this.#read = read;
    this.#byteLength = byteLength;
    this.#chunk = chunk;
    this.#meta = chunk.meta_data!;
    this.#numRows = numRows;
    this.#limits = limits;
    this.#where = where;
    this.#required = required;
    const { start, end } = chunkRange(this.#meta);
    this.#start = start;
    this.#end = end;
    this.#next = { offset: start, row: 0, ordinal: 0 };
    if (start < 0 || end > byteLength || end < start) throw this.#fail(`column chunk bytes ${start}-${end} lie outside the file (${byteLength} bytes)`);
  }

  /** The chunk's dictionary page, or null when it has none. */
  dictionary(signal?: AbortSignal): Promise<ByteRange | null> {
    return this.#serial(async () => {
      await this.#walkTo(0, signal);
      return this.#dictionary ?? null;
    });
  }

  /** The data page holding row `row` of the row group. */
  pageAt(row: number, signal?: AbortSignal): Promise<PageRef> {
    return this.#serial(async () => {
      await this.#walkTo(row, signal);
      const page = this.#find(row);
      if (!page) throw this.#fail(`its pages hold rows 0..${this.#next.row} of the row group's ${this.#numRows}, and row ${row} was asked for; the column chunk ends early (the file is corrupt or truncated)`);
      return page;
    });
  }

  /**
   * The pages from the one holding `row` on, as many as hold rows up to `untilRow` within `maxBytes` of
   * their bytes (at least one): consecutive pages decoded together cost one decode, not one each.
   */
  pagesFrom(row: number, untilRow: number, maxBytes: number, signal?: AbortSignal): Promise<PageRef[]> {
    return this.#serial(async () => {
      await this.#walkTo(row, signal);
      const first = this.#find(row);
      if (!first) throw this.#fail(`its pages hold rows 0..${this.#next.row} of the row group's ${this.#numRows}, and row ${row} was asked for; the column chunk ends early (the file is corrupt or truncated)`);
      const out = [first];
      let bytes = first.end - first.start;
      for (;;) {
        const last = out[out.length - 1]!;
        const nextRow = last.firstRow + last.rows;
        if (nextRow >= untilRow || nextRow >= this.#numRows) break;
        await this.#walkTo(nextRow, signal);
        const next = this.#find(nextRow);
        if (!next || bytes + (next.end - next.start) > maxBytes) break;
        out.push(next);
        bytes += next.end - next.start;
      }
      return out;
    });
  }

  /**
   * The bytes of `range` (a page, the dictionary, a piece of a streamed page): from the last bytes read (the
   * walk's window, the page before) as far as they hold it, the rest fetched; nothing is fetched twice in a
   * row.
   */
  async bytes(range: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const w = this.#window;
    if (w && w.start <= range.start && range.end <= w.end) return w.bytes.subarray(range.start - w.start, range.end - w.start);
    const from = w && w.start <= range.start && range.start < w.end ? w.end : range.start;
    const [piece] = await this.#read([{ start: from, end: range.end }], signal);
    const fetched = piece!.bytes.subarray(from - piece!.start, range.end - piece!.start);
    if (from === range.start) {
      this.#window = { start: from, end: range.end, bytes: fetched };
      return fetched;
    }
    const joined = new Uint8Array(range.end - range.start);
    joined.set(w!.bytes.subarray(range.start - w!.start), 0);
    joined.set(fetched, from - range.start);
    this.#window = { start: range.start, end: range.end, bytes: joined };
    return joined;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #fail(reason: string, page?: number): ParquetReadError {
    return new ParquetReadError(reason, { ...this.#where, ...(page === undefined ? {} : { page }) });
  }

  /** The known page holding `row` (binary search: pages are in row order). */
  #find(row: number): PageRef | undefined {
    let lo = 0;
    let hi = this.#pages.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = this.#pages[mid]!;
      if (row < p.firstRow) hi = mid - 1;
      else if (row >= p.firstRow + p.rows) lo = mid + 1;
      else return p;
    }
    return undefined;
  }

  /** Finds pages until the one holding `row` is known (and the dictionary, which comes first). */
  async #walkTo(row: number, signal: AbortSignal | undefined): Promise<void> {
    if (!this.#indexRead) await this.#readOffsetIndex(signal);
    while (!this.#complete && (this.#dictionary === undefined || this.#next.row <= row)) {
      // The bytes already read go on first: a window holds many small pages' headers.
      const at = this.#next.offset;
      const w = this.#window;
      if (w && w.start <= at && at < w.end) {
        this.#walk(w, row);
        if (this.#next.offset !== at) continue;
      }
      // A header cut off by a window that started at it is larger than the window (long statistics): the
      // window grows, up to what a header may take.
      const size = w && w.start === at ? Math.min(MAX_HEADER_BYTES, 2 * (w.end - w.start)) : WALK_WINDOW;
      if (w && w.start === at && w.end - w.start >= MAX_HEADER_BYTES) throw this.#fail(`page header at file byte ${at} cannot be read within ${MAX_HEADER_BYTES} bytes; the file is corrupt`, this.#next.ordinal);
      const [window] = await this.#read([{ start: at, end: Math.min(this.#end, at + size) }], signal);
      this.#window = window!;
      this.#walk(window!, row);
    }
  }

  /** Pages from the chunk's offset index, when it has one: the whole list in one read (each header is read with its page). */
  async #readOffsetIndex(signal: AbortSignal | undefined): Promise<void> {
    this.#indexRead = true;
    const offset = Number(this.#chunk.offset_index_offset ?? 0);
    const length = this.#chunk.offset_index_length ?? 0;
    if (!offset || !length || offset + length > this.#byteLength) return;
    const [piece] = await this.#read([{ start: offset, end: offset + length }], signal);
    let locations: { offset: bigint; compressed_page_size: number; first_row_index: bigint }[];
    try {
      locations = readOffsetIndex({ view: new DataView(piece!.bytes.buffer, piece!.bytes.byteOffset, piece!.bytes.byteLength), offset: 0 }).page_locations;
    } catch {
      return; // an unreadable index: the headers themselves are walked instead
    }
    const first = Number(locations[0]?.offset ?? -1);
    if (first < this.#start) return;
    const hasDictionary = first > this.#start;
    const pages: PageRef[] = [];
    for (let i = 0; i < locations.length; i++) {
      const loc = locations[i]!;
      const start = Number(loc.offset);
      const firstRow = Number(loc.first_row_index);
      const nextRow = i + 1 < locations.length ? Number(locations[i + 1]!.first_row_index) : this.#numRows;
      // An index that does not add up is ignored: the headers are walked instead.
      if (start + loc.compressed_page_size > this.#end || nextRow < firstRow || firstRow !== (pages.length ? pages[pages.length - 1]!.firstRow + pages[pages.length - 1]!.rows : 0)) return;
      pages.push({ start, end: start + loc.compressed_page_size, firstRow, rows: nextRow - firstRow, ordinal: i + (hasDictionary ? 1 : 0) });
    }
    this.#pages.push(...pages);
    this.#dictionary = hasDictionary ? { start: this.#start, end: first } : null;
    this.#complete = true;
  }

  /** Parses the page headers inside `window` from the next one on, recording each page, until a header is cut off or the page holding `row` is known. */
  #walk(window: FetchedPiece, row: number): void {
    const bytes = window.bytes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    while (this.#next.offset < this.#end && (this.#dictionary === undefined || this.#next.row <= row)) {
      const at = this.#next.offset;
      if (at < window.start || at >= window.end) return;
      const reader = { view, offset: at - window.start };
      let header: PageHeader;
      try {
        header = parquetHeader(reader);
      } catch (err) {
        // Cut off by the window's end (a DataView's RangeError, or the thrift reader's own bounds check): the
        // next window starts here. At the chunk's end it is corrupt.
        if (window.end < this.#end) return;
        throw this.#fail(`page header at file byte ${at} cannot be read (${(err as Error).message}); the file is corrupt or truncated`, this.#next.ordinal);
      }
      const headerLength = reader.offset - (at - window.start);
      const ordinal = this.#next.ordinal;
      const size = header.compressed_page_size;
      const end = at + headerLength + size;
      if (!(size >= 0) || end > this.#end) throw this.#fail(`page at file byte ${at} declares ${size} bytes, which run past its column chunk (bytes ${this.#start}-${this.#end}); the file is corrupt or truncated`, ordinal);
      const fail = (reason: string) => this.#fail(reason, ordinal);
      checkPageShape(header, this.#numRows - this.#next.row, this.#meta, this.#required, fail);
      if (header.type === 'DICTIONARY_PAGE') {
        if (this.#dictionary !== undefined || ordinal !== 0) throw fail('a second dictionary page, or one after data pages; the file is corrupt');
        // A dictionary is decoded whole, whatever the page holding it: it must fit.
        checkPageFits(header, this.#limits, 'dictionary', fail);
        this.#dictionary = { start: at, end };
      } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
        if (this.#dictionary === undefined) this.#dictionary = null;
        const rows = header.type === 'DATA_PAGE_V2' ? header.data_page_header_v2!.num_rows : header.data_page_header!.num_values;
        this.#pages.push({ start: at, end, firstRow: this.#next.row, rows, ordinal });
        this.#next.row += rows;
      } else if (header.type !== 'INDEX_PAGE') {
        throw fail(`unsupported page type ${header.type}`);
      }
      this.#next = { offset: end, row: this.#next.row, ordinal: ordinal + 1 };
      if (this.#next.offset >= this.#end || this.#next.row >= this.#numRows) this.#complete = true;
    }
  }
}

/** A parsed page header. */
export type PageHeader = ReturnType<typeof parquetHeader>;

/** Bytes of one PLAIN value of a fixed-width physical type, or undefined. */
const PLAIN_WIDTH: Record<string, number> = { INT32: 4, INT64: 8, FLOAT: 4, DOUBLE: 8, INT96: 12 };


/**
 * Checks a page header for what no page of a readable file declares: a negative size, more rows than the
 * row group has left, more PLAIN values of a fixed width than its bytes hold.
 */
export function checkPageShape(header: PageHeader, rowsLeft: number, meta: ColumnMetaData, required: boolean, fail: (reason: string) => Error): void {
  const uncompressed = header.uncompressed_page_size;
  if (!(uncompressed >= 0)) throw fail(`page declares ${uncompressed} bytes uncompressed; the file is corrupt`);
  if (header.type !== 'DATA_PAGE' && header.type !== 'DATA_PAGE_V2') return;
  const v1 = header.data_page_header;
  const v2 = header.data_page_header_v2;
  const values = v1?.num_values ?? v2?.num_values ?? 0;
  const rows = v2 ? v2.num_rows : values;
  if (!(values >= 0) || !(rows >= 0)) throw fail(`page declares ${values} values; the file is corrupt`);
  if (rows > rowsLeft) throw fail(`page declares ${rows} rows but the row group has only ${rowsLeft} left; the file is corrupt`);
  const width = PLAIN_WIDTH[meta.type];
  const encoding = v1?.encoding ?? v2?.encoding;
  // Without definition levels (a required column, or a v2 page without nulls) every value is in the page.
  const allPresent = v2 ? v2.num_nulls === 0 && v2.definition_levels_byte_length === 0 && v2.repetition_levels_byte_length === 0 : required;
  if (width && encoding === 'PLAIN' && allPresent && values * width > uncompressed) {
    throw fail(`page declares ${values} PLAIN values of ${width} bytes but holds ${uncompressed} bytes; the file is corrupt`);
  }
}

/** Whether a page fits the limits to be decoded whole: its uncompressed bytes and its values (8 bytes each). */
export function pageFits(header: PageHeader, limits: PageLimits): boolean {
  const values = header.dictionary_page_header?.num_values ?? header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ?? 0;
  return header.uncompressed_page_size <= limits.maxPageBytes && values * 8 <= limits.maxPageBytes;
}

/** Refuses a page that does not fit the limits (`what` names it), naming the size it would take. */
export function checkPageFits(header: PageHeader, limits: PageLimits, what: string, fail: (reason: string) => Error, why = ''): void {
  if (pageFits(header, limits)) return;
  const values = header.dictionary_page_header?.num_values ?? header.data_page_header?.num_values ?? header.data_page_header_v2?.num_values ?? 0;
  const needed = Math.max(header.uncompressed_page_size, values * 8);
  throw fail(
    `its ${what} page declares ${header.uncompressed_page_size} bytes uncompressed and ${values} values (${values * 8} bytes decoded), more than maxBatchBytes (${limits.maxPageBytes}) lets one page take in memory${why}; ` +
      `raise maxBatchBytes to at least ${needed} to read it, or rewrite the file with smaller pages`,
  );
}

/**
 * Checks every page header of a whole column chunk (`bytes`, as fetched) against the limits before any of
 * its pages is decompressed: a hostile header cannot make the decoder allocate what it declares.
 */
export function checkChunkHeaders(bytes: Uint8Array, meta: ColumnMetaData, numRows: number, required: boolean, limits: PageLimits, fail: (reason: string, page: number) => Error): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = { view, offset: 0 };
  let rows = 0;
  for (let ordinal = 0; reader.offset < bytes.length && rows < numRows; ordinal++) {
    const at = reader.offset;
    let header: PageHeader;
    try {
      header = parquetHeader(reader);
    } catch (err) {
      throw fail(`page header at chunk byte ${at} cannot be read (${(err as Error).message}); the file is corrupt or truncated`, ordinal);
    }
    const size = header.compressed_page_size;
    if (!(size >= 0) || reader.offset + size > bytes.length) throw fail(`page at chunk byte ${at} declares ${size} bytes, which run past its column chunk (${bytes.length} bytes); the file is corrupt or truncated`, ordinal);
    checkPageShape(header, numRows - rows, meta, required, (reason) => fail(reason, ordinal));
    checkPageFits(header, limits, header.type === 'DICTIONARY_PAGE' ? 'dictionary' : 'data', (reason) => fail(reason, ordinal));
    if (header.type === 'DATA_PAGE_V2') rows += header.data_page_header_v2!.num_rows;
    else if (header.type === 'DATA_PAGE') rows += header.data_page_header!.num_values;
    reader.offset += size;
  }
}
