import { Gunzip } from 'fflate';
import type { ColumnMetaData, Compressors, SchemaElement } from 'hyparquet';
import { convert } from 'hyparquet/src/convert.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readPlain } from 'hyparquet/src/plain.js';
import type { Column } from '../schema/columns.js';
import type { PageHeader } from './chunk-pages.js';
import { convertColumn, DECODE_PARSERS } from './column-convert.js';
import type { ColumnSpec } from './column-spec.js';
import { type ZstdStream, zstdStreamFactory } from './zstd-stream.js';

/** Codecs whose frames decompress block by block, so a page's values come out as its bytes come in. */
const STREAMING_CODECS = new Set(['UNCOMPRESSED', 'ZSTD', 'GZIP']);
const WIDTH: Record<string, number> = { INT32: 4, INT64: 8, FLOAT: 4, DOUBLE: 8 };
/** Compressed bytes fetched at a time while a page is streamed. */
export const STREAM_READ_BYTES = 4 * 2 ** 20;

const DICTIONARY_ENCODINGS = new Set(['PLAIN_DICTIONARY', 'RLE_DICTIONARY']);

/**
 * Why a page too large to decode whole cannot be streamed either, or null when it can: a flat column's
 * page, uncompressed, zstd or gzip, of PLAIN values of a fixed width (numbers, timestamps) or of dictionary
 * indexes (any type: the dictionary itself is decoded whole). Others (BYTE_STREAM_SPLIT, DELTA encodings,
 * PLAIN byte arrays, Snappy and LZ4 pages) need the whole page.
 */
export function whyNotStreamable(header: PageHeader, meta: ColumnMetaData, element: SchemaElement | null, spec: ColumnSpec): string | null {
  if (!STREAMING_CODECS.has(meta.codec)) return `its codec ${meta.codec} decompresses only whole pages`;
  if (!element || element.repetition_type === 'REPEATED' || element.num_children) return 'it is a nested column';
  const encoding = header.data_page_header?.encoding ?? header.data_page_header_v2?.encoding ?? '';
  if (DICTIONARY_ENCODINGS.has(encoding)) return null;
  if (encoding !== 'PLAIN') return `its encoding ${encoding} is decoded only from whole pages`;
  if (!WIDTH[meta.type]) return `its values are ${meta.type}, not fixed-width numbers`;
  if (spec.decimalScale !== undefined || spec.int96) return 'its values need a conversion read from whole pages';
  return null;
}

/**
 * A dictionary page's values as the column delivers them (the same conversions as the whole-page decoder),
 * for a streamed page of dictionary indexes. `element` is the decode footer's.
 */
export function dictionaryValues(page: Uint8Array, header: PageHeader, headerLength: number, meta: ColumnMetaData, element: SchemaElement, spec: ColumnSpec, compressors: Compressors, tensors: typeof import('./tensor-codecs.js') | null, where: string): ArrayLike<unknown> {
  const count = header.dictionary_page_header!.num_values;
  const body = decompressPage(page.subarray(headerLength), header.uncompressed_page_size, meta.codec, compressors);
  const raw = readPlain({ view: new DataView(body.buffer, body.byteOffset, body.byteLength), offset: 0 }, meta.type, count, element.type_length);
  const rich = convert(raw, { element, parsers: DECODE_PARSERS, utf8: false, schemaPath: [] } as never);
  return convertColumn(rich as ArrayLike<unknown>, spec, where, tensors) as ArrayLike<unknown>;
}

/** `values` (the present ones) spread over `out` where `defs` says a value is present, NaN elsewhere. */
function spreadNumbers(out: Float32Array | Float64Array, values: Int32Array | Float32Array | Float64Array, defs: Int32Array): void {
  for (let i = 0, v = 0; i < out.length; i++) out[i] = defs[i] ? values[v++]! : NaN;
}

/**
 * RLE / bit-packed hybrid values (dictionary indexes, definition levels) read from a stream as they are
 * needed: a run at a time, never the page's worth.
 */
class IndexStream {
  readonly #bytes: ByteStream;
  readonly #width: number;
  /** The run being read: a value repeated, or unpacked values. */
  #repeat = 0;
  #repeatLeft = 0;
  #packed = new Int32Array(0);
  #packedAt = 0;
  #groupsLeft = 0;

  constructor(bytes: ByteStream, width: number) {
    this.#bytes = bytes;
    this.#width = width;
  }

  async #varint(): Promise<number> {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = (await this.#bytes.take(1))[0]!;
      value += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return value;
    }
    throw new Error('a run header of the dictionary indexes is longer than 5 bytes');
  }

  /** Unpacks up to 8,192 more groups of 8 values of the current bit-packed run. */
  async #unpack(): Promise<void> {
    const groups = Math.min(this.#groupsLeft, 8_192);
    const bytes = await this.#bytes.take(groups * this.#width);
    const out = new Int32Array(groups * 8);
    const mask = (1 << this.#width) - 1;
    let bit = 0;
    for (let i = 0; i < out.length; i++, bit += this.#width) {
      let v = 0;
      for (let b = 0; b < this.#width; b++) {
        const at = bit + b;
        v |= ((bytes[at >> 3]! >> (at & 7)) & 1) << b;
      }
      out[i] = v & mask;
    }
    this.#groupsLeft -= groups;
    this.#packed = out;
    this.#packedAt = 0;
  }

  async take(n: number): Promise<Int32Array> {
    const out = new Int32Array(n);
    let i = 0;
    while (i < n) {
      if (this.#repeatLeft > 0) {
        const k = Math.min(this.#repeatLeft, n - i);
        out.fill(this.#repeat, i, i + k);
        this.#repeatLeft -= k;
        i += k;
        continue;
      }
      if (this.#packedAt < this.#packed.length) {
        const k = Math.min(this.#packed.length - this.#packedAt, n - i);
        out.set(this.#packed.subarray(this.#packedAt, this.#packedAt + k), i);
        this.#packedAt += k;
        i += k;
        continue;
      }
      if (this.#groupsLeft > 0) {
        await this.#unpack();
        continue;
      }
      const header = await this.#varint();
      if (header & 1) {
        this.#groupsLeft = Math.floor(header / 2);
      } else {
        const bytes = await this.#bytes.take(Math.ceil(this.#width / 8));
        let v = 0;
        for (let b = bytes.length - 1; b >= 0; b--) v = v * 256 + bytes[b]!;
        this.#repeat = v;
        this.#repeatLeft = Math.floor(header / 2);
      }
    }
    return out;
  }
}

/** The page's values section decompressed, a few blocks at a time, as `take` asks for bytes. */
class ByteStream {
  readonly #pull: () => Promise<Uint8Array | null>;
  readonly #decompress: ((input: Uint8Array, final: boolean) => void) | null;
  readonly #ready: Uint8Array[] = [];
  #readyBytes = 0;
  #ended = false;

  #zstd: ZstdStream | null = null;

  /**
   * `pull` gives the next compressed bytes (null at the page's end); `codec` how they decompress
   * (`zstd` makes the decompressor of a zstd page).
   */
  constructor(pull: () => Promise<Uint8Array | null>, codec: string, zstd?: (onData: (chunk: Uint8Array) => void) => ZstdStream) {
    this.#pull = pull;
    const push = (chunk: Uint8Array) => {
      if (chunk.length) {
        this.#ready.push(chunk);
        this.#readyBytes += chunk.length;
      }
    };
    if (codec === 'ZSTD') {
      const z = zstd!((chunk) => push(chunk));
      this.#zstd = z;
      this.#decompress = (input, final) => z.push(input, final);
    } else if (codec === 'GZIP') {
      const g = new Gunzip((chunk) => push(chunk));
      this.#decompress = (input, final) => g.push(input, final);
    } else this.#decompress = null;
    if (!this.#decompress) this.#feedRaw = push;
  }

  #feedRaw: ((chunk: Uint8Array) => void) | null = null;

  /** Releases the decompressor of a page left before its end. */
  close(): void {
    this.#zstd?.close();
    this.#ready.length = 0;
  }

  /** Exactly `n` more bytes (the page's end before them is an error: it holds fewer values than it says). */
  async take(n: number): Promise<Uint8Array> {
    while (this.#readyBytes < n) {
      if (this.#ended) throw new Error(`the page ended ${n - this.#readyBytes} bytes before the values its header declares`);
      const input = await this.#pull();
      if (input === null) {
        this.#ended = true;
        this.#decompress?.(new Uint8Array(0), true);
        continue;
      }
      if (this.#decompress) this.#decompress(input, false);
      else this.#feedRaw!(input);
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = this.#ready[0]!;
      const used = Math.min(head.length, n - at);
      out.set(head.subarray(0, used), at);
      at += used;
      if (used === head.length) this.#ready.shift();
      else this.#ready[0] = head.subarray(used);
    }
    this.#readyBytes -= n;
    return out;
  }
}

/**
 * One data page read a slice of rows at a time, for a page too large to decode whole: its compressed bytes
 * are fetched in ranges of `STREAM_READ_BYTES` as the decompressor needs them, so memory holds the slice
 * asked for and a few blocks, not the page. Definition levels (nulls) are kept as their encoded bytes (a bit
 * a value at most) and decoded as rows are taken.
 *
 * @example
 * const stream = await PageStream.open(...); const first = await stream.take(262_144);
 */
export class PageStream {
  readonly rows: number;
  #row = 0;
  readonly #bytes: ByteStream;
  /** Definition levels (1 present, 0 null), read as rows are taken; null for a required column (all present). */
  readonly #defs: IndexStream | null;
  readonly #spec: ColumnSpec;
  readonly #type: string;
  readonly #nullable: boolean;
  /** Dictionary-encoded pages: the indexes, and the dictionary's values as delivered. */
  readonly #indexes: IndexStream | null;
  readonly #dictionary: ArrayLike<unknown> | null;

  private constructor(rows: number, bytes: ByteStream, defs: IndexStream | null, spec: ColumnSpec, type: string, nullable: boolean, indexes: IndexStream | null, dictionary: ArrayLike<unknown> | null) {
    this.rows = rows;
    this.#bytes = bytes;
    this.#defs = defs;
    this.#spec = spec;
    this.#type = type;
    this.#nullable = nullable;
    this.#indexes = indexes;
    this.#dictionary = dictionary;
  }

  /**
   * Opens a page for streaming: `read(start, end)` gives bytes of the file, `[start, end)` is the page with
   * its header of `headerLength` bytes.
   */
  static async open(read: (start: number, end: number) => Promise<Uint8Array>, page: { start: number; end: number }, header: PageHeader, headerLength: number, meta: ColumnMetaData, element: SchemaElement, spec: ColumnSpec, dictionary: ArrayLike<unknown> | null): Promise<PageStream> {
    const optional = element.repetition_type === 'OPTIONAL';
    const v2 = header.data_page_header_v2;
    const values = v2?.num_values ?? header.data_page_header!.num_values;
    let at = page.start + headerLength;
    let defs: IndexStream | null = null;
    /** Levels held as their encoded bytes (at most a bit a value), decoded run by run as rows are taken. */
    const levelsOf = (bytes: Uint8Array) => {
      let done = false;
      return new IndexStream(new ByteStream(async () => (done ? null : ((done = true), bytes)), 'UNCOMPRESSED'), 1);
    };
    if (v2) {
      // Version 2 pages keep their levels uncompressed, before the values.
      if (optional && v2.definition_levels_byte_length > 0) defs = levelsOf(await read(at, at + v2.definition_levels_byte_length));
      at += v2.definition_levels_byte_length + v2.repetition_levels_byte_length;
    }
    const end = page.end;
    // The next piece is fetched while this one decompresses (one ahead: a network's latency is hidden).
    let ahead: Promise<Uint8Array> | null = null;
    const fetchNext = (): Promise<Uint8Array> | null => {
      if (at >= end) return null;
      const next = Math.min(end, at + STREAM_READ_BYTES);
      const bytes = read(at, next);
      bytes.catch(() => {}); // observed when it is pulled
      at = next;
      return bytes;
    };
    const pull = async (): Promise<Uint8Array | null> => {
      const current = ahead ?? fetchNext();
      if (!current) return null;
      ahead = fetchNext();
      return current;
    };
    const compressed = !v2 || v2.is_compressed !== false;
    const codec = compressed ? meta.codec : 'UNCOMPRESSED';
    const stream = new ByteStream(pull, codec, codec === 'ZSTD' ? await zstdStreamFactory() : undefined);
    if (!v2 && optional) {
      // Version 1 pages start their (decompressed) data with the levels: 4-byte length, then RLE/bit-packed.
      const length = new DataView((await stream.take(4)).buffer).getUint32(0, true);
      defs = levelsOf(await stream.take(length));
    }
    const encoding = header.data_page_header?.encoding ?? header.data_page_header_v2?.encoding ?? '';
    let indexes: IndexStream | null = null;
    if (DICTIONARY_ENCODINGS.has(encoding)) {
      if (!dictionary) throw new Error('a dictionary-encoded page in a column chunk without a dictionary page');
      indexes = new IndexStream(stream, (await stream.take(1))[0]!);
    }
    return new PageStream(values, stream, defs, spec, meta.type, optional, indexes, dictionary);
  }

  /** Releases what a page left before its end holds (its decompressor). */
  close(): void {
    this.#bytes.close();
  }

  /** The next `n` rows' values (typed arrays as the whole-page decoder gives them; nullable integers as arrays). */
  async take(n: number): Promise<Column> {
    if (this.#row + n > this.rows) throw new Error(`asked for rows ${this.#row}..${this.#row + n} of a page of ${this.rows}`);
    const defs = this.#defs ? await this.#defs.take(n) : null;
    let present = n;
    if (defs) {
      present = 0;
      for (let i = 0; i < n; i++) present += defs[i]!;
    }
    if (this.#indexes) {
      const idx = await this.#indexes.take(present);
      this.#row += n;
      return this.#lookup(idx, defs, n);
    }
    const width = WIDTH[this.#type]!;
    const raw = await this.#bytes.take(present * width);
    this.#row += n;
    const values = this.#type === 'INT32' ? new Int32Array(raw.buffer, 0, present) : this.#type === 'INT64' ? new BigInt64Array(raw.buffer, 0, present) : this.#type === 'FLOAT' ? new Float32Array(raw.buffer, 0, present) : new Float64Array(raw.buffer, 0, present);
    // Levels that say every value is present are as good as none (DuckDB's columns are nullable).
    return this.#convert(values, present === n ? null : defs, n);
  }

  /** Dictionary values of the indexes, null or NaN where a value is missing, as the whole-page decoder gives them. */
  #lookup(idx: Int32Array, defs: Int32Array | null, n: number): Column {
    const dict = this.#dictionary!;
    for (let i = 0; i < idx.length; i++) if (idx[i]! >= dict.length) throw new Error(`dictionary index ${idx[i]} out of range (${dict.length} entries)`);
    // Floats and timestamps stay typed (NaN for null); a nullable column of anything else is an array with null.
    const floats = dict instanceof Float32Array || dict instanceof Float64Array;
    if (ArrayBuffer.isView(dict) && (floats || !this.#nullable)) {
      const out = new (dict.constructor as new (n: number) => { [i: number]: unknown })(n);
      for (let i = 0, v = 0; i < n; i++) out[i] = !defs || defs[i] ? dict[idx[v++]!] : NaN;
      return out as unknown as Column;
    }
    const out = new Array<unknown>(n);
    for (let i = 0, v = 0; i < n; i++) out[i] = !defs || defs[i] ? dict[idx[v++]!] : null;
    return out as Column;
  }

  /** Values as the column delivers them: epoch-ms timestamps, NaN for a null float or timestamp, null for a null integer. */
  #convert(values: Int32Array | BigInt64Array | Float32Array | Float64Array, defs: Int32Array | null, n: number): Column {
    const spec = this.#spec;
    const at = (i: number) => values[i]!;
    if (spec.timeUnit) {
      const scale = spec.timeUnit === 'MILLIS' ? 1 : spec.timeUnit === 'MICROS' ? 1 / 1000 : 0;
      const convert = (v: number | bigint) => (scale ? Number(v) * scale : Number(BigInt(v) / 1000n) / 1000);
      // Without nulls, in place: each int64 is read before the float64 of the same 8 bytes is written.
      const out = !defs && values.BYTES_PER_ELEMENT === 8 ? new Float64Array(values.buffer, values.byteOffset, n) : new Float64Array(n);
      for (let i = 0, v = 0; i < n; i++) out[i] = !defs || defs[i] ? convert(at(v++)) : NaN;
      return out;
    }
    if (spec.float || spec.epochMs) {
      const Out = spec.float === 'f32' ? Float32Array : Float64Array;
      if (!defs && values.constructor === Out) return values as Column;
      const out = new Out(n);
      if (values instanceof BigInt64Array) for (let i = 0, v = 0; i < n; i++) out[i] = !defs || defs[i] ? Number(values[v++]!) : NaN;
      else if (!defs) out.set(values);
      else spreadNumbers(out, values, defs);
      return out;
    }
    if (!this.#nullable) return values as Column;
    // A nullable integer: an array with null where a value is missing, as the whole-page decoder gives it.
    const out = new Array<number | bigint | null>(n);
    for (let i = 0, v = 0; i < n; i++) out[i] = !defs || defs[i] ? at(v++) : null;
    return out as Column;
  }
}
