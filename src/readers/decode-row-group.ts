import { parquetRead } from 'hyparquet';
import type { Column } from '../schema/columns.js';
import { decodeFlatColumn, isFlatNumeric } from './flat-column.js';
import { ParquetReadError } from '../store/parquet-read-error.js';
import { chunkRange, verifyChunkChecksums } from '../store/page-checksums.js';
import { checkChunkHeaders } from './chunk-pages.js';
import { concat, convertColumn, DECODE_PARSERS } from './column-convert.js';
import { loadCompressors } from './compressors.js';
import type { DecodedRowGroup, DecodeTask } from './decode-task.js';
import { topLevelColumns } from '../store/parquet-schema-tree.js';

export type { DecodedRowGroup, DecodeTask } from './decode-task.js';

/** Internal switch for differential tests: decode every column through hyparquet's general reader. */
export const decodeSettings = { flatFastPath: true };

/** A view (no copy) of prefetched bytes [start, end). */
export function prefetched(task: DecodeTask, start: number, end: number): Uint8Array {
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

/** Every page header of the projected chunks within the limits, before any page is decompressed. */
function checkHeaders(task: DecodeTask): void {
  const elements = topLevelColumns(task.metadata.schema);
  const numRows = Number(task.metadata.row_groups[0]?.num_rows ?? 0);
  for (const chunk of task.metadata.row_groups[0]?.columns ?? []) {
    const meta = chunk.meta_data;
    if (!meta || meta.path_in_schema.length !== 1 || !task.columns.includes(meta.path_in_schema[0]!)) continue;
    const { start, end } = chunkRange(meta);
    const column = meta.path_in_schema[0]!;
    const required = elements.get(column)?.repetition_type === 'REQUIRED';
    checkChunkHeaders(prefetched(task, start, end), meta, numRows, required, { maxPageBytes: task.maxPageBytes }, (reason, page) => new ParquetReadError(reason, { file: task.file, rowGroup: task.rowGroup, column, page }));
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
  // Damaged bytes are told as damage (a checksum mismatch) before the headers are judged.
  if (task.verifyChecksums) verifyChecksums(task);
  checkHeaders(task);
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
