import { ByteWriter } from 'hyparquet-writer';
import { serializeTCompactProtocol, ThriftStruct } from 'hyparquet-writer/src/thrift.js';
import type { ThriftObject } from '../store/source-footer.js';

// Thrift compact-protocol type ids. The raw reader returns i8, i16, i32 and double all as numbers, and the
// writer infers i32 for an integral number: the fields of another type are typed explicitly below.
const BOOL_TRUE = 1;
const BOOL_FALSE = 2;
const I8 = 3;
const DOUBLE = 7;

/** The struct with its fields in id order, which Thrift's compact protocol requires (spreads may append a field). */
function inIdOrder(obj: ThriftObject): ThriftObject {
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

/**
 * A row group for a summary file: its column chunks without page-index offsets (they point into the part,
 * not into the summary file, and some readers follow them). Its ordinal (an i16 used only to derive
 * encryption keys, which this SDK does not support) is left out: hyparquet-writer cannot write an i16.
 */
function summaryRowGroup({ field_7: _ordinal, ...rg }: ThriftObject): ThriftObject {
  const chunks = (rg.field_1 as ThriftObject[]).map(({ field_4: _oo, field_5: _ol, field_6: _co, field_7: _cl, ...chunk }) => {
    const meta = chunk.field_3 as ThriftObject | undefined;
    const geo = meta?.field_17 as ThriftObject | undefined;
    const box = geo?.field_1 as ThriftObject | undefined;
    if (!box) return chunk;
    // A geospatial bounding box holds doubles, which may be integral (0.0).
    const doubles = new ThriftStruct(Object.entries(box).map(([k, v]) => [Number(k.slice('field_'.length)), DOUBLE, v as number] as [number, number, number]).sort((a, b) => a[0] - b[0]));
    return { ...chunk, field_3: { ...meta, field_17: { ...geo, field_1: doubles } } };
  });
  return { ...rg, field_1: chunks };
}

/**
 * Serialises a summary file (`_metadata` with row groups, `_common_metadata` without) between PAR1 markers,
 * as pyarrow's `write_metadata` lays it out: the template footer's schema and key-value metadata, then every
 * row group with `file_path` set on its column chunks. Built from raw Thrift trees, so statistics, logical
 * types and fields this SDK does not model are copied unchanged (but for page-index offsets and row-group
 * ordinals, see `summaryRowGroup`). No JS Parquet library writes these files.
 *
 * @example
 * writeFileSync('_metadata', encodeSummaryFile(parts[0].raw, parts.flatMap((p) => rawRowGroupsOf(p))));
 */
export function encodeSummaryFile(template: ThriftObject, rowGroups: readonly ThriftObject[]): Uint8Array {
  const numRows = rowGroups.reduce((sum, rg) => sum + BigInt(rg.field_3 as bigint), 0n);
  const metadata: ThriftObject = inIdOrder({
    ...template,
    field_2: (template.field_2 as ThriftObject[]).map(schemaElement),
    field_3: numRows,
    field_4: rowGroups.map(summaryRowGroup),
  });
  const writer = new ByteWriter();
  writer.appendUint32(0x31524150); // PAR1
  const start = writer.offset;
  serializeTCompactProtocol(writer, metadata as never);
  writer.appendUint32(writer.offset - start);
  writer.appendUint32(0x31524150);
  return new Uint8Array(writer.getBuffer());
}
