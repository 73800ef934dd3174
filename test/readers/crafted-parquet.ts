import { ByteWriter } from 'hyparquet-writer';
import { serializeTCompactProtocol } from 'hyparquet-writer/src/thrift.js';

/** Thrift compact bytes of a struct given as `field_N` keys (numbers are i32, bigints i64). */
function thrift(data: Record<string, unknown>): Uint8Array {
  const w = new ByteWriter();
  serializeTCompactProtocol(w, data as never);
  return new Uint8Array(w.getBuffer());
}

/** One page of a crafted file: what its header declares, and the bytes that follow it. */
export interface CraftedPage {
  kind: 'data' | 'dictionary';
  /** Values the header declares (rows, for a flat column). */
  values: number;
  /** Bytes uncompressed the header declares (default: the body's length). */
  uncompressed?: number;
  body: Uint8Array;
  /** Default PLAIN (0); 8 is RLE_DICTIONARY. */
  encoding?: number;
}

/**
 * A Parquet file of one REQUIRED INT32 column "x" and one row group, whose pages declare whatever a test
 * wants them to, lies included: the footer is consistent with the page bytes as laid out, so only the page
 * headers are hostile. Codec: 0 UNCOMPRESSED, 1 SNAPPY.
 *
 * @example
 * writeFileSync(path, craftedParquet({ rows: 10, codec: 0, pages: [{ kind: 'data', values: 10, uncompressed: 2 ** 31 - 1, body: new Uint8Array(40) }] }));
 */
export function craftedParquet(o: { rows: number; codec: number; pages: CraftedPage[] }): Uint8Array {
  const parts: Uint8Array[] = [new TextEncoder().encode('PAR1')];
  let offset = 4;
  let dictionaryOffset: bigint | undefined;
  let dataOffset: bigint | undefined;
  for (const p of o.pages) {
    const header =
      p.kind === 'dictionary'
        ? { field_1: 2, field_2: p.uncompressed ?? p.body.length, field_3: p.body.length, field_7: { field_1: p.values, field_2: 0 } }
        : { field_1: 0, field_2: p.uncompressed ?? p.body.length, field_3: p.body.length, field_5: { field_1: p.values, field_2: p.encoding ?? 0, field_3: 3, field_4: 3 } };
    if (p.kind === 'dictionary') dictionaryOffset ??= BigInt(offset);
    else dataOffset ??= BigInt(offset);
    const h = thrift(header);
    parts.push(h, p.body);
    offset += h.length + p.body.length;
  }
  const chunkBytes = BigInt(offset - 4);
  const metadata = {
    field_1: 1,
    field_2: [{ field_4: 'schema', field_5: 1 }, { field_1: 1, field_3: 0, field_4: 'x' }],
    field_3: BigInt(o.rows),
    field_4: [
      {
        field_1: [
          {
            field_2: 4n,
            field_3: {
              field_1: 1,
              field_2: [0, 8],
              field_3: ['x'],
              field_4: o.codec,
              field_5: BigInt(o.rows),
              field_6: chunkBytes,
              field_7: chunkBytes,
              field_9: dataOffset ?? 4n,
              ...(dictionaryOffset !== undefined ? { field_11: dictionaryOffset } : {}),
            },
          },
        ],
        field_2: chunkBytes,
        field_3: BigInt(o.rows),
      },
    ],
  };
  const footer = thrift(metadata);
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setUint32(0, footer.length, true);
  tail.set(new TextEncoder().encode('PAR1'), 4);
  parts.push(footer, tail);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** PLAIN INT32 little-endian bytes of `values`. */
export function int32s(values: number[]): Uint8Array {
  return new Uint8Array(Int32Array.from(values).buffer);
}
