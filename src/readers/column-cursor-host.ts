import type { ColumnChunk, FileMetaData, SchemaElement } from 'hyparquet';
import type { Column } from '../schema/columns.js';
import type { ParquetReadLocation } from '../store/parquet-read-error.js';
import type { ByteRange, FetchedPiece } from '../store/range-fetcher.js';
import { ChunkPages, type PageLimits } from './chunk-pages.js';
import { ColumnCursor } from './column-cursor.js';
import type { ColumnSpec } from './column-spec.js';
import { loadCompressors } from './compressors.js';

/**
 * One slice of one column chunk to read by cursor: plain data, so it crosses to a decode thread. Reads of
 * the same `key` go on where the last one stopped (the same thread holds that cursor).
 */
export interface ColumnRead {
  /** The cursor: file, row group, column and bound. */
  key: string;
  /** The store's name of the file (what byte reads ask for). */
  file: string;
  fileByteLength: number;
  /** The decode footer (one row group) and the index of the column's chunk in it. */
  metadata: FileMetaData;
  chunkIndex: number;
  element: SchemaElement | null;
  spec: ColumnSpec;
  limits: PageLimits;
  verifyChecksums: boolean;
  where: ParquetReadLocation;
  rowStart: number;
  rowEnd: number;
}

/** Reads byte ranges of a store's file: the store's fetcher, or a request to the thread that owns it. */
export type FileRangeReader = (file: string, ranges: readonly ByteRange[], signal?: AbortSignal) => Promise<FetchedPiece[]>;

/**
 * The column cursors of one reader on one thread (a decode thread, or the caller's with `workers: 0`):
 * each keeps its place between slices, so a row group read in slices is fetched and decoded once.
 *
 * @example
 * const prices = await host.read({ key, file, ..., rowStart: 0, rowEnd: 262_144 });
 */
export class ColumnCursorHost {
  readonly #readFile: FileRangeReader;
  /** Promises, so reads of one cursor that arrive together share it and stay in order. */
  readonly #cursors = new Map<string, Promise<ColumnCursor>>();

  constructor(readFile: FileRangeReader) {
    this.#readFile = readFile;
  }

  /** Frees the cursors of `keys` (row groups the reader left): their places and decompressors. */
  drop(keys: readonly string[]): void {
    for (const key of keys) {
      this.#cursors.get(key)?.then((c) => c.close(), () => {});
      this.#cursors.delete(key);
    }
  }

  async read(r: ColumnRead, signal?: AbortSignal): Promise<Column> {
    let cursor = this.#cursors.get(r.key);
    if (!cursor) {
      cursor = this.#open(r);
      this.#cursors.set(r.key, cursor);
      // A cursor that could not open is opened again by the next read.
      cursor.catch(() => this.#cursors.get(r.key) === cursor && this.#cursors.delete(r.key));
    }
    return (await cursor).read(r.rowStart, r.rowEnd, signal);
  }

  async #open(r: ColumnRead): Promise<ColumnCursor> {
    const chunk: ColumnChunk = r.metadata.row_groups[0]!.columns[r.chunkIndex]!;
    const { compressors } = await loadCompressors([chunk.meta_data!.codec]);
    const tensors = r.spec.codec === 'ndarray' || r.spec.codec === 'image' ? await import('./tensor-codecs.js') : null;
    const numRows = Number(r.metadata.row_groups[0]!.num_rows);
    const required = r.element?.repetition_type === 'REQUIRED';
    const pages = new ChunkPages((ranges, s) => this.#readFile(r.file, ranges, s), r.fileByteLength, chunk, numRows, required, r.limits, r.where);
    return new ColumnCursor({ pages, metadata: r.metadata, chunk, element: r.element, spec: r.spec, compressors, tensors, limits: r.limits, verifyChecksums: r.verifyChecksums, where: r.where });
  }

  /** Frees every cursor's decompressor (the reader is done). */
  close(): void {
    this.drop([...this.#cursors.keys()]);
  }
}
