import { ByteWriter } from 'hyparquet-writer';
import { serializeTCompactProtocol, ThriftStruct } from 'hyparquet-writer/src/thrift.js';
import { FOOTER_CRC_KEY, FOOTER_CRC_PLACEHOLDER, sealFooterChecksum } from '../store/footer-checksum.js';
import type { ThriftObject } from '../store/source-footer.js';

// Thrift compact-protocol type ids. The raw reader returns i8, i16, i32 and double all as numbers, and the
// writer infers i32 for an integral number: the fields of another type are typed explicitly.
const BOOL_TRUE = 1;
const BOOL_FALSE = 2;
const I8 = 3;

/** The struct with its fields in id order, which Thrift's compact protocol requires (spreads may append a field). */
export function inIdOrder(obj: ThriftObject): ThriftObject {
  const id = (k: string) => Number(k.slice('field_'.length));
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => id(a) - id(b))) as ThriftObject;
}

/** A schema element whose INTEGER logical type carries its i8 bit width (DuckDB and parquet-cpp reject an i32 there). */
function schemaElement(e: ThriftObject): ThriftObject {
  const logical = e.field_10 as ThriftObject | undefined;
  const int = logical?.field_10 as ThriftObject | undefined;
  if (!int) return e;
  const signed = int.field_2 === true;
  return { ...e, field_10: { ...logical, field_10: new ThriftStruct([[1, I8, int.field_1 as number], [2, signed ? BOOL_TRUE : BOOL_FALSE, signed]]) } };
}

/** The key of a raw KeyValue (bytes when read from a file, a string when added here). */
export function keyOf(kv: ThriftObject): string {
  return typeof kv.field_1 === 'string' ? kv.field_1 : new TextDecoder().decode(kv.field_1 as Uint8Array);
}

/**
 * The bytes that end a Parquet file (or make a summary file): a raw Thrift `FileMetaData` serialised in
 * compact protocol, carrying its own CRC-32 under `FOOTER_CRC_KEY` (any previous one is replaced), then its
 * 4-byte length and `PAR1`. Row groups must already be serialisable (see `summaryRowGroup`: no i16 ordinal).
 *
 * @example
 * fh.write(encodeFooter({ ...raw, field_4: rowGroups }), 0, undefined, footerStart);
 */
export function encodeFooter(metadata: ThriftObject): Uint8Array {
  const kv = ((metadata.field_5 as ThriftObject[] | undefined) ?? []).filter((e) => keyOf(e) !== FOOTER_CRC_KEY);
  kv.push({ field_1: FOOTER_CRC_KEY, field_2: FOOTER_CRC_PLACEHOLDER });
  const sealed: ThriftObject = inIdOrder({ ...metadata, field_2: (metadata.field_2 as ThriftObject[]).map(schemaElement), field_5: kv });
  const writer = new ByteWriter();
  serializeTCompactProtocol(writer, sealed as never);
  const thrift = sealFooterChecksum(new Uint8Array(writer.getBuffer()));
  const out = new Uint8Array(thrift.length + 8);
  out.set(thrift);
  const view = new DataView(out.buffer);
  view.setUint32(thrift.length, thrift.length, true);
  view.setUint32(thrift.length + 4, 0x31524150, true); // PAR1
  return out;
}
