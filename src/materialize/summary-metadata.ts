import type { ColumnChunk, FileMetaData, RowGroup } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';

/** A part file's footer and its name relative to the store root. */
export interface PartFooter {
  fileName: string;
  metadata: FileMetaData;
}

/**
 * Row groups of `part` re-pointed at its file, as pyarrow's `write_metadata` does: `file_path` set on every
 * column chunk. Page-index offsets are dropped because they point into the part, not into `_metadata`, and
 * some readers (parquet-wasm) follow them.
 */
export function rowGroupsWithFilePath(part: PartFooter): RowGroup[] {
  return part.metadata.row_groups.map((rg) => ({
    ...rg,
    columns: rg.columns.map(
      (c): ColumnChunk => ({
        ...c,
        file_path: part.fileName,
        offset_index_offset: undefined,
        offset_index_length: undefined,
        column_index_offset: undefined,
        column_index_length: undefined,
      }),
    ),
  }));
}

/**
 * Serialises a summary file (`_metadata` with row groups, `_common_metadata` without) between PAR1 markers.
 * No JS Parquet library writes these files, so this assembles one from hyparquet-writer's thrift writer.
 */
export function encodeSummaryFile(template: FileMetaData, rowGroups: RowGroup[]): Uint8Array {
  const metadata: FileMetaData = {
    ...template,
    // hyparquet-writer 0.17 writes IntType.bitWidth (a thrift i8) as an i32, which DuckDB and parquet-cpp
    // reject as invalid data. The legacy converted_type (UINT_8, INT_16, ...) that every writer also sets
    // carries the same meaning, so summary files keep that and drop the INTEGER logical type.
    schema: template.schema.map((e) => (e.logical_type?.type === 'INTEGER' && e.converted_type ? { ...e, logical_type: undefined } : e)),
    row_groups: rowGroups,
    num_rows: rowGroups.reduce((sum, rg) => sum + BigInt(rg.num_rows), 0n),
  };
  const writer = new ByteWriter();
  writer.appendUint32(0x31524150); // PAR1
  writeMetadata(writer, metadata);
  writer.appendUint32(0x31524150);
  return new Uint8Array(writer.getBuffer());
}
