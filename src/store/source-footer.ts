import { type FileMetaData, parquetMetadata } from 'hyparquet';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import type { ByteRangeSource } from './byte-range-source.js';
import { checkFooterChecksum } from './footer-checksum.js';
import { asParquetReadError, ParquetReadError } from './parquet-read-error.js';

/**
 * Statistics as plain values: timestamps and dates in epoch ms; byte arrays kept as bytes (only columns
 * annotated as text are decoded, by the store description, since binary blobs are not UTF-8).
 */
const STAT_PARSERS = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v / 1000n),
  timestampFromNanoseconds: (v: bigint) => Number(v / 1000000n),
  dateFromDays: (v: number) => v * 86_400_000,
  stringFromBytes: (v: Uint8Array) => v,
};

/** A Thrift struct as hyparquet's compact-protocol reader returns it: `field_<id>` keys, wire values. */
export type ThriftObject = { [key: `field_${number}`]: unknown };

/**
 * A file's footer twice: parsed (hyparquet's `FileMetaData`, to plan and decode) and as the raw Thrift
 * tree, which summary files are written from byte for byte (statistics, logical types and fields this
 * reader does not model survive unchanged). The raw tree is parsed on first use: only writers need it, and
 * parsing it took ~40 % of opening a store. Key-value metadata comes as text (UTF-8, for JSON values) and as
 * bytes from the raw tree (hyparquet decodes values as UTF-8, which breaks binary pickles).
 */
export interface SourceFooter {
  metadata: FileMetaData;
  /** The raw Thrift tree (parsed on first use). */
  readonly raw: ThriftObject;
  /** Key-value metadata as bytes, from the raw tree (parsed on first use): for binary values. */
  readonly rawKeyValues: Map<string, Uint8Array>;
  /** Key-value metadata as UTF-8 text, without the raw tree: for text values (JSON). */
  textKeyValues: Map<string, string>;
  byteLength: number;
  /** The bytes parsed: the Thrift footer, its 4-byte length and `PAR1` (what a commit id is computed from). */
  tail: Uint8Array;
}

/** Parses the end of a Parquet file: the Thrift `FileMetaData`, its 4-byte length and the `PAR1` magic. */
export function parseFooter(tail: Uint8Array, byteLength: number): SourceFooter {
  const metadata = parquetMetadata(tail, { parsers: STAT_PARSERS as never });
  const textKeyValues = new Map<string, string>();
  for (const kv of metadata.key_value_metadata ?? []) if (kv.value !== undefined) textKeyValues.set(kv.key, kv.value);
  let raw: ThriftObject | undefined;
  let rawKeyValues: Map<string, Uint8Array> | undefined;
  return {
    metadata,
    textKeyValues,
    byteLength,
    tail,
    get raw(): ThriftObject {
      if (!raw) {
        const metaLen = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(tail.length - 8, true);
        raw = deserializeTCompactProtocol({ view: new DataView(tail.buffer, tail.byteOffset + tail.length - 8 - metaLen, metaLen), offset: 0 }) as ThriftObject;
      }
      return raw;
    },
    get rawKeyValues(): Map<string, Uint8Array> {
      if (!rawKeyValues) {
        rawKeyValues = new Map();
        for (const kv of (this.raw.field_5 as { field_1: Uint8Array; field_2?: Uint8Array }[] | undefined) ?? []) {
          if (kv.field_2) rawKeyValues.set(new TextDecoder().decode(kv.field_1), kv.field_2);
        }
      }
      return rawKeyValues;
    },
  };
}

/** Options of `readSourceFooter`. */
export interface ReadFooterOptions {
  /** Check the footer's own CRC (`FOOTER_CRC_KEY`) when it has one. Default true. */
  verifyChecksums?: boolean;
  /**
   * Bytes read from the end in the first read. Default 64 KiB, which holds most footers in one read; 8 reads
   * exactly the footer in two (for a footer read beside the data, e.g. a part checked against `_metadata`).
   */
  tailGuess?: number;
}

/**
 * Reads the footer of a Parquet file through a byte-range source: one read of the tail, one more if the
 * footer is larger. A footer that carries a checksum is verified before it is parsed.
 */
export async function readSourceFooter(source: ByteRangeSource, options: ReadFooterOptions = {}): Promise<SourceFooter> {
  const where = { file: source.name };
  try {
    const size = source.byteLength;
    if (size < 12) throw new ParquetReadError(`file has ${size} bytes; a Parquet file has at least 12`, where);
    const guess = Math.min(size, Math.max(8, options.tailGuess ?? 64 * 1024));
    let tail = await source.read(size - guess, size);
    const magic = String.fromCharCode(...tail.subarray(tail.length - 4));
    if (magic !== 'PAR1') {
      const hint = magic === 'PARE' ? ' (an encrypted footer: Parquet modular encryption is not supported)' : '';
      throw new ParquetReadError(`not a Parquet file: footer magic is ${JSON.stringify(magic)}, expected "PAR1"${hint}`, where);
    }
    const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    const metaLen = dv.getUint32(tail.length - 8, true);
    if (metaLen + 12 > size) throw new ParquetReadError(`footer length ${metaLen} exceeds the file size ${size}; the file is truncated`, where);
    if (metaLen + 8 > tail.length) tail = await source.read(size - metaLen - 8, size);
    if (options.verifyChecksums !== false) {
      const check = checkFooterChecksum(tail.subarray(tail.length - metaLen - 8, tail.length - 8));
      if (check.status === 'mismatch') {
        throw new ParquetReadError(`footer checksum mismatch: ${check.reason}; the file was damaged after it was written: restore it from a copy or rewrite it (verifyChecksums: false reads it unchecked)`, where);
      }
    }
    return parseFooter(tail.subarray(tail.length - metaLen - 8), size);
  } catch (err) {
    throw asParquetReadError(err, where, 'reading the footer');
  }
}
