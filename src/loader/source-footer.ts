import { type FileMetaData, parquetMetadata } from 'hyparquet';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import type { ByteRangeSource } from './byte-range-source.js';
import { asParquetReadError, ParquetReadError } from './parquet-read-error.js';

/** Statistics as numbers: timestamps in epoch ms, dates in epoch ms. */
export const STAT_PARSERS = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v / 1000n),
  timestampFromNanoseconds: (v: bigint) => Number(v / 1000000n),
  dateFromDays: (v: number) => v * 86_400_000,
};

/** A file's footer plus its key-value metadata as raw bytes (hyparquet decodes values as UTF-8, which breaks binary pickles). */
export interface SourceFooter {
  metadata: FileMetaData;
  rawKeyValues: Map<string, Uint8Array>;
  byteLength: number;
}

/** Reads the footer of a Parquet file through a byte-range source: one read of the tail, one more if the footer is larger. */
export async function readSourceFooter(source: ByteRangeSource): Promise<SourceFooter> {
  const where = { file: source.name };
  try {
    const size = source.byteLength;
    if (size < 12) throw new ParquetReadError(`file has ${size} bytes; a Parquet file has at least 12`, where);
    const guess = Math.min(size, 64 * 1024);
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
    const footer = tail.subarray(tail.length - metaLen - 8);
    const metadata = parquetMetadata(footer, { parsers: STAT_PARSERS as never });
    const raw = deserializeTCompactProtocol({ view: new DataView(footer.buffer, footer.byteOffset, metaLen), offset: 0 }) as Record<string, unknown>;
    const rawKeyValues = new Map<string, Uint8Array>();
    for (const kv of (raw.field_5 as { field_1: Uint8Array; field_2?: Uint8Array }[] | undefined) ?? []) {
      if (kv.field_2) rawKeyValues.set(new TextDecoder().decode(kv.field_1), kv.field_2);
    }
    return { metadata, rawKeyValues, byteLength: size };
  } catch (err) {
    throw asParquetReadError(err, where, 'reading the footer');
  }
}
