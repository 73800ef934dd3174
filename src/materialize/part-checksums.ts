import type { FileHandle } from 'node:fs/promises';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { crc32 } from '../store/store-platform.js';
import { formatPageCrcs, PAGE_CRC_KEY, pageSpans } from '../store/page-checksums.js';
import type { ThriftObject } from '../store/source-footer.js';
import { encodeFooter, inIdOrder, keyOf } from './footer-bytes.js';
import { serialisableRowGroup } from './summary-file.js';

/** A part just written, as the sealer reads and rewrites it: a file, or bytes held in memory. */
export interface PartBytes {
  readAt(start: number, length: number): Promise<Uint8Array>;
  /** Writes the sealed footer at `position` and ends the part right after it. */
  endWith(bytes: Uint8Array, position: number): Promise<void>;
}

/** A part file open for reading and writing. */
export function filePartBytes(fh: FileHandle): PartBytes {
  return {
    async readAt(start, length) {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, start + done);
        if (bytesRead === 0) throw new Error(`part ended at byte ${start + done} while ${start + length} were written`);
        done += bytesRead;
      }
      return out;
    },
    async endWith(bytes, position) {
      await fh.write(bytes, 0, bytes.length, position);
      await fh.truncate(position + bytes.length);
    },
  };
}

/** A part held in memory (to upload to an object store); `bytes()` is the sealed part afterwards. */
export function memoryPartBytes(initial: Uint8Array): PartBytes & { bytes(): Uint8Array } {
  let current = initial;
  return {
    readAt: async (start, length) => current.subarray(start, start + length),
    async endWith(bytes, position) {
      const out = new Uint8Array(position + bytes.length);
      out.set(current.subarray(0, position));
      out.set(bytes, position);
      current = out;
    },
    bytes: () => current,
  };
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
 * const { byteLength, footer } = await sealPart(filePartBytes(fh), written); await fh.sync();
 */
export async function sealPart(part: PartBytes, byteLength: number): Promise<{ byteLength: number; footer: ThriftObject }> {
  const readAt = (start: number, length: number) => part.readAt(start, length);
  const tail = await readAt(byteLength - 8, 8);
  const metaLen = new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getUint32(0, true);
  const footerStart = byteLength - 8 - metaLen;
  const footer = await readAt(footerStart, metaLen);
  const raw = deserializeTCompactProtocol({ view: new DataView(footer.buffer, footer.byteOffset, footer.byteLength), offset: 0 }) as ThriftObject;
  const rowGroups: ThriftObject[] = [];
  for (const rg of (raw.field_4 as ThriftObject[] | undefined) ?? []) {
    const ranges = (rg.field_1 as ThriftObject[]).map((c) => {
      const meta = c.field_3 as ThriftObject;
      const start = Number((meta.field_11 as bigint | undefined) || (meta.field_9 as bigint));
      return { start, end: start + Number(meta.field_7 as bigint) };
    });
    // One read per row group: its chunks are adjacent, written one after the other.
    const from = Math.min(...ranges.map((r) => r.start));
    const bytes = await readAt(from, Math.max(...ranges.map((r) => r.end)) - from);
    const chunks = (rg.field_1 as ThriftObject[]).map((c, k) => ({ ...c, field_3: withPageCrcs(c.field_3 as ThriftObject, bytes.subarray(ranges[k]!.start - from, ranges[k]!.end - from)) }));
    rowGroups.push(serialisableRowGroup({ ...rg, field_1: chunks }, false));
  }
  const footerOut: ThriftObject = { ...raw, field_4: rowGroups };
  const sealed = encodeFooter(footerOut);
  await part.endWith(sealed, footerStart);
  return { byteLength: footerStart + sealed.length, footer: footerOut };
}
