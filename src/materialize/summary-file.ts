import { ThriftStruct } from 'hyparquet-writer/src/thrift.js';
import type { ThriftObject } from '../store/source-footer.js';
import { encodeFooter, keyOf } from './footer-bytes.js';

const DOUBLE = 7;
const PAR1 = new Uint8Array([0x50, 0x41, 0x52, 0x31]);

/**
 * A row group as a footer can hold it: without its ordinal (an i16 used only to derive encryption keys,
 * which this SDK does not support: hyparquet-writer cannot write an i16), geospatial bounding boxes typed as
 * doubles. For a summary file (`forSummary`) also without page-index offsets: they point into the part, not
 * into the summary file, and some readers follow them.
 */
export function serialisableRowGroup({ field_7: _ordinal, ...rg }: ThriftObject, forSummary = true): ThriftObject {
  const chunks = (rg.field_1 as ThriftObject[]).map((c) => {
    const { field_4: _oo, field_5: _ol, field_6: _co, field_7: _cl, ...stripped } = c;
    const chunk = forSummary ? stripped : c;
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
 * as pyarrow's `write_metadata` lays it out: the template footer's schema and key-value metadata (plus
 * `extraKeyValues`), then every row group with `file_path` set on its column chunks, and the footer's own
 * CRC-32. Built from raw Thrift trees, so statistics, logical types, page checksums and fields this SDK does
 * not model are copied unchanged (but for page-index offsets and row-group ordinals, see
 * `serialisableRowGroup`). No JS Parquet library writes these files.
 *
 * @example
 * writeFileSync('_metadata', encodeSummaryFile(parts[0].raw, parts.flatMap((p) => rawRowGroupsOf(p))));
 */
export function encodeSummaryFile(template: ThriftObject, rowGroups: readonly ThriftObject[], extraKeyValues: Record<string, string> = {}): Uint8Array {
  const numRows = rowGroups.reduce((sum, rg) => sum + BigInt(rg.field_3 as bigint), 0n);
  const extra = Object.keys(extraKeyValues);
  const kv = ((template.field_5 as ThriftObject[] | undefined) ?? []).filter((e) => !extra.includes(keyOf(e)));
  for (const [k, v] of Object.entries(extraKeyValues)) kv.push({ field_1: k, field_2: v });
  const footer = encodeFooter({ ...template, field_3: numRows, field_4: rowGroups.map((rg) => serialisableRowGroup(rg)), field_5: kv.length ? kv : undefined });
  const out = new Uint8Array(4 + footer.length);
  out.set(PAR1);
  out.set(footer, 4);
  return out;
}
