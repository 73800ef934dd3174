import type { FileMetaData } from 'hyparquet';
import type { Column } from '../schema/columns.js';
import type { ColumnSpec } from './column-spec.js';

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
  /** What a page may declare (uncompressed bytes, values × 8): `maxBatchBytes`. */
  maxPageBytes: number;
}

/** A decoded row group (or slice): its rows and its columns. */
export interface DecodedRowGroup {
  numRows: number;
  columns: Record<string, Column>;
}
