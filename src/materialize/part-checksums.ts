import type { FileHandle } from 'node:fs/promises';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { crc32 } from '../store/store-platform.js';
import { formatPageCrcs, PAGE_CRC_KEY, pageSpans } from '../store/page-checksums.js';
import type { ThriftObject } from '../store/source-footer.js';
import { encodeFooter, inIdOrder, keyOf } from './footer-bytes.js';
import { serialisableRowGroup } from './summary-file.js';

async function readAt(fh: FileHandle, start: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, start + done);
    if (bytesRead === 0) throw new Error(`part ended at byte ${start + done} while ${start + length} were written`);
    done += bytesRead;
  }
  return out;
}

/** A column chunk's raw metadata with the CRC-32 of each of its pages recorded under `PAGE_CRC_KEY`. */
function withPageCrcs(meta: ThriftObject, chunk: Uint8Array): ThriftObject {
  const pages = pageSpans(chunk).map((p) => ({ length: p.length, crc: crc32(chunk.subarray(p.offset, p.offset + p.length)) }));
  const others = ((meta.field_8 as ThriftObject[] | undefined) ?? []).filter((kv) => keyOf(kv) !== PAGE_CRC_KEY);
  return inIdOrder({ ...meta, field_8: [...others, { field_1: PAGE_CRC_KEY, field_2: formatPageCrcs(pages) }] });
}

/**
 * Gives a part file just written by parquet-wasm its checksums: the CRC-32 of every page in its column
 * chunk's metadata and the footer's own CRC (parquet-wasm 0.8 cannot write the format's page CRC). Data
 * pages stay where they are; only the footer is rewritten, in place. Reads one row group at a time, so
 * memory stays bounded by the row-group size. Returns the file's new length and its footer (raw Thrift, as
 * written but for the footer CRC entry).
 *
 * @example
 * const { byteLength, footer } = await sealPartFile(fh, written); await fh.sync();
 */
export async function sealPartFile(fh: FileHandle, byteLength: number): Promise<{ byteLength: number; footer: ThriftObject }> {
  const tail = await readAt(fh, byteLength - 8, 8);
  const metaLen = new DataView(tail.buffer).getUint32(0, true);
  const footerStart = byteLength - 8 - metaLen;
  const footer = await readAt(fh, footerStart, metaLen);
  const raw = deserializeTCompactProtocol({ view: new DataView(footer.buffer), offset: 0 }) as ThriftObject;
  const rowGroups: ThriftObject[] = [];
  for (const rg of (raw.field_4 as ThriftObject[] | undefined) ?? []) {
    const ranges = (rg.field_1 as ThriftObject[]).map((c) => {
      const meta = c.field_3 as ThriftObject;
      const start = Number((meta.field_11 as bigint | undefined) || (meta.field_9 as bigint));
      return { start, end: start + Number(meta.field_7 as bigint) };
    });
    // One read per row group: its chunks are adjacent, written one after the other.
    const from = Math.min(...ranges.map((r) => r.start));
    const bytes = await readAt(fh, from, Math.max(...ranges.map((r) => r.end)) - from);
    const chunks = (rg.field_1 as ThriftObject[]).map((c, k) => ({ ...c, field_3: withPageCrcs(c.field_3 as ThriftObject, bytes.subarray(ranges[k]!.start - from, ranges[k]!.end - from)) }));
    rowGroups.push(serialisableRowGroup({ ...rg, field_1: chunks }, false));
  }
  const footerOut: ThriftObject = { ...raw, field_4: rowGroups };
  const sealed = encodeFooter(footerOut);
  await fh.write(sealed, 0, sealed.length, footerStart);
  await fh.truncate(footerStart + sealed.length);
  return { byteLength: footerStart + sealed.length, footer: footerOut };
}
