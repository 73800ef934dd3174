import { type FileMetaData, parquetRead, type SchemaElement } from 'hyparquet';
import type { Column } from '../schema/columns.js';
import { decodeFlatColumn, isFlatNumeric } from './flat-column.js';
import { ParquetReadError } from '../store/parquet-read-error.js';
import { chunkRange, verifyChunkChecksums } from '../store/page-checksums.js';
import type { ColumnSpec } from './column-spec.js';
import { loadCompressors } from './compressors.js';
import { topLevelColumns } from '../store/parquet-schema-tree.js';

/** One row group to decode: its footer (one row group), the byte ranges it needs, and those bytes. */
export interface DecodeTask {
  file: string;
  rowGroup: number;
  fileByteLength: number;
  metadata: FileMetaData;
  columns: string[];
  specs: ColumnSpec[];
  fetches: { startByte: number; endByte: number }[];
  buffers: ArrayBuffer[];
  /** Verify page checksums before decoding (see `verifyChecksums` in the read options). */
  verifyChecksums: boolean;
}

export interface DecodedRowGroup {
  numRows: number;
  columns: Record<string, Column>;
}

const DECODE_PARSERS = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1000,
  timestampFromNanoseconds: (v: bigint) => Number(v / 1000n) / 1000,
  dateFromDays: (v: number) => v * 86_400_000,
};

const utf8 = new TextDecoder();

function toFloat(data: ArrayLike<unknown>, kind: 'f32' | 'f64'): Float32Array | Float64Array {
  if (kind === 'f32' && data instanceof Float32Array) return data;
  if (kind === 'f64' && data instanceof Float64Array) return data;
  const out = kind === 'f32' ? new Float32Array(data.length) : new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = v === null || v === undefined ? NaN : Number(v);
  }
  return out;
}

function toEpochMs(data: ArrayLike<unknown>, unit: ColumnSpec['timeUnit']): Float64Array {
  const out = new Float64Array(data.length);
  if (data instanceof BigInt64Array) {
    if (unit === 'MILLIS') for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
    else if (unit === 'MICROS') for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!) / 1000;
    else for (let i = 0; i < data.length; i++) out[i] = Number(data[i]! / 1000n) / 1000;
    return out;
  }
  const div = unit === 'MICROS' ? 1000n : unit === 'NANOS' ? 1_000_000n : 1n;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = v === null || v === undefined ? NaN : typeof v === 'bigint' ? Number(v / div) + Number(v % div) / Number(div) : Number(v);
  }
  return out;
}

function decimalValue(v: unknown, div: number): number {
  if (v === null || v === undefined) return NaN;
  if (v instanceof Uint8Array) {
    let x = 0n;
    for (const b of v) x = (x << 8n) | BigInt(b);
    if (v.length && v[0]! & 0x80) x -= 1n << BigInt(8 * v.length);
    return Number(x) / div;
  }
  return Number(v) / div;
}

function convertColumn(data: ArrayLike<unknown>, spec: ColumnSpec, where: string, tensors: typeof import('./tensor-codecs.js') | null): Column {
  if (spec.timeUnit) return toEpochMs(data, spec.timeUnit);
  if (spec.decimalScale !== undefined) {
    const out = new Float64Array(data.length);
    const div = 10 ** spec.decimalScale;
    for (let i = 0; i < data.length; i++) out[i] = decimalValue(data[i], div);
    return out;
  }
  if (spec.int === 'i32' && !(data instanceof Int32Array)) return Int32Array.from(data as ArrayLike<number>);
  if (spec.int === 'i64' && !(data instanceof BigInt64Array)) return BigInt64Array.from(data as ArrayLike<bigint>);
  if (spec.epochMs) return toFloat(data, 'f64');
  if (spec.int96) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!(v instanceof Uint8Array) || v.length !== 12) {
        out[i] = NaN;
        continue;
      }
      const dv = new DataView(v.buffer, v.byteOffset, 12);
      // Arrow's reading (parquet-testing int96_from_spark.md): signed nanos and day, microseconds in
      // wrapping int64 arithmetic.
      const nanos = dv.getBigInt64(0, true);
      const julianDay = BigInt(dv.getInt32(8, true));
      const micros = BigInt.asIntN(64, (julianDay - 2440588n) * 86_400_000_000n + nanos / 1000n);
      out[i] = Number(micros) / 1000;
    }
    return out;
  }
  if (spec.float) return toFloat(data, spec.float);
  if (spec.codec === 'ndarray' || spec.codec === 'image') {
    const out = new Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v === null || v === undefined) out[i] = null;
      else if (!(v instanceof Uint8Array)) throw new Error(`column ${spec.name} (${spec.codec} codec) holds ${typeof v}, expected bytes`);
      else out[i] = spec.codec === 'ndarray' ? tensors!.decodeNpyValue(v, `${where} column ${spec.name} row ${i}`) : tensors!.decodeImage(v, spec.imageFormat ?? 'png', spec.shape, `${where} column ${spec.name} row ${i}`);
    }
    return out as Column;
  }
  if (spec.codec === 'compressed-ndarray') throw new Error(`column ${spec.name}: Petastorm's CompressedNdarrayCodec is not supported`);
  if (spec.text) {
    const out = new Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      out[i] = v instanceof Uint8Array ? utf8.decode(v) : (v ?? null);
    }
    return out;
  }
  if (ArrayBuffer.isView(data)) return data as unknown as Column;
  const out = Array.from(data, (v) => (v === undefined ? null : v));
  return out as Column;
}

function concat(parts: ArrayLike<unknown>[], total: number): ArrayLike<unknown> {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0];
  if (first && ArrayBuffer.isView(first) && parts.every((p) => p.constructor === first.constructor)) {
    const out = new (first.constructor as new (n: number) => { set(a: ArrayLike<unknown>, o: number): void })(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out as unknown as ArrayLike<unknown>;
  }
  const out: unknown[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]);
  return out;
}

/** Internal switch for differential tests: decode every column through hyparquet's general reader. */
export const decodeSettings = { flatFastPath: true };

/** A view (no copy) of prefetched bytes [start, end). */
function prefetched(task: DecodeTask, start: number, end: number): Uint8Array {
  const i = task.fetches.findIndex((f) => f.startByte <= start && end <= f.endByte);
  if (i < 0) throw new Error(`byte range ${start}-${end} was not prefetched`);
  return new Uint8Array(task.buffers[i]!, start - task.fetches[i]!.startByte, end - start);
}

/**
 * Checks every projected column chunk against its page checksums before anything is decoded, so damaged
 * bytes never become values. Cheap next to decoding: CRC-32 runs at several GB/s.
 */
function verifyChecksums(task: DecodeTask): void {
  for (const chunk of task.metadata.row_groups[0]?.columns ?? []) {
    const meta = chunk.meta_data;
    if (!meta || !task.columns.includes(meta.path_in_schema[0]!)) continue;
    const { start, end } = chunkRange(meta);
    const bad = verifyChunkChecksums(prefetched(task, start, end), meta, start);
    if (bad) {
      const column = meta.path_in_schema.join('.');
      throw new ParquetReadError(
        `page checksum mismatch at file byte ${bad.fileOffset}: ${bad.reason}; the file was damaged after it was written: restore it from a copy or rewrite it (verifyChecksums: false reads it unchecked)`,
        { file: task.file, rowGroup: task.rowGroup, column, page: bad.page },
      );
    }
  }
}

/**
 * Decodes one row group from prefetched byte ranges (hyparquet, pure JS: a corrupt page throws, it never
 * aborts the process). Runs the same in a worker and on the main thread.
 */
export async function decodeRowGroup(task: DecodeTask): Promise<DecodedRowGroup> {
  const { compressors } = await loadCompressors(new Set(task.metadata.row_groups[0]?.columns.map((c) => c.meta_data?.codec ?? 'UNCOMPRESSED')));
  // The image decoders (fast-png, jpeg-js) load only for a store with tensor fields.
  const tensors = task.specs.some((s) => s.codec === 'ndarray' || s.codec === 'image') ? await import('./tensor-codecs.js') : null;
  const where = { file: task.file, rowGroup: task.rowGroup };
  if (task.verifyChecksums) verifyChecksums(task);
  const file = {
    byteLength: task.fileByteLength,
    slice(start: number, end = task.fileByteLength): ArrayBuffer {
      const i = task.fetches.findIndex((f) => f.startByte <= start && end <= f.endByte);
      if (i < 0) throw new Error(`byte range ${start}-${end} was not prefetched`);
      const f = task.fetches[i]!;
      const b = task.buffers[i]!;
      return f.startByte === start && f.endByte === end ? b : b.slice(start - f.startByte, end - f.startByte);
    },
  };
  const numRows = Number(task.metadata.row_groups[0]?.num_rows ?? 0);
  const chunks = new Map<string, { rowStart: number; data: ArrayLike<unknown> }[]>();
  const fast = new Map<string, Column>();
  try {
    // Flat numeric columns (the SDK's own stores are all of them) take the typed-array fast path.
    const elements = topLevelColumns(task.metadata.schema);
    for (const spec of task.specs) {
      const element = elements.get(spec.name);
      const chunk = task.metadata.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === spec.name);
      const meta = chunk?.meta_data;
      if (!decodeSettings.flatFastPath || !element || !meta || !isFlatNumeric(element, spec)) continue;
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
      const bytes = prefetched(task, start, start + Number(meta.total_compressed_size));
      const col = decodeFlatColumn(bytes, meta, element, spec, numRows, compressors);
      if (col) fast.set(spec.name, col);
    }
    const rest = task.columns.filter((c) => !fast.has(c));
    if (rest.length > 0) {
      await parquetRead({
        file,
        metadata: task.metadata,
        columns: rest,
        compressors,
        utf8: false,
        parsers: DECODE_PARSERS as never,
        onChunk: (c) => {
          let list = chunks.get(c.columnName);
          if (!list) chunks.set(c.columnName, (list = []));
          list.push({ rowStart: c.rowStart, data: c.columnData as ArrayLike<unknown> });
        },
      });
    }
    const columns: Record<string, Column> = {};
    for (const spec of task.specs) {
      const done = fast.get(spec.name);
      if (done) {
        columns[spec.name] = done;
        continue;
      }
      const parts = (chunks.get(spec.name) ?? []).sort((a, b) => a.rowStart - b.rowStart).map((p) => p.data);
      const total = parts.reduce((s, p) => s + p.length, 0);
      if (total !== numRows) throw new Error(`column ${spec.name} decoded ${total} values but the row group has ${numRows} rows`);
      columns[spec.name] = convertColumn(parts.length ? concat(parts, total) : [], spec, `${task.file} row group ${task.rowGroup}`, tensors);
    }
    return { numRows, columns };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ParquetReadError(`decoding failed: ${why}; the file is corrupt, truncated or uses a feature this reader does not support`, where, { cause: err });
  }
}
