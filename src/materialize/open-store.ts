import type { ColumnChunk, RowGroup, SchemaElement } from 'hyparquet';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import type { DType } from '../schema/dtype.js';
import { type FieldSpec, type Unischema, defineSchema } from '../schema/unischema.js';
import { localStorePath } from './store-layout.js';
import { readStoreState } from './store-state.js';

/** Min/max/null count of one column in one row group, as the footer records them (timestamps in epoch ms). */
export interface ColumnStatistics {
  min: number | bigint | string | boolean | null;
  max: number | bigint | string | boolean | null;
  nullCount: number | null;
}

export interface RowGroupInfo {
  /** Data file, relative to the store root. */
  file: string;
  /** Index of the row group inside `file`. */
  index: number;
  numRows: number;
  /** Compressed bytes of the row group's column chunks. */
  byteLength: number;
  columns: Record<string, ColumnStatistics>;
}

export interface StoreFileInfo {
  path: string;
  numRows: number;
  byteLength: number;
}

/** A store's contents as of its last commit. */
export interface StoreInfo {
  path: string;
  schema: Unischema;
  /** True when the store carries no SDK schema and `schema` was inferred from the Parquet types. */
  schemaInferred: boolean;
  numRows: number;
  files: StoreFileInfo[];
  rowGroups: RowGroupInfo[];
  /** Compression codecs used by the column chunks (e.g. ['ZSTD']). */
  compression: string[];
  /** Total bytes of the data files. */
  byteLength: number;
  /** Whether the row groups came from `_metadata` (one read) rather than from every part footer. */
  fromMetadataFile: boolean;
}

function statValue(v: unknown, converted: string | undefined): number | bigint | string | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint' && converted?.startsWith('TIMESTAMP')) return converted === 'TIMESTAMP_MICROS' ? Number(v / 1000n) : Number(v);
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return v as number | bigint | string | boolean;
}

function rowGroupInfo(rg: RowGroup, indexInFile: number, convertedOf: Map<string, string | undefined>): RowGroupInfo {
  const columns: Record<string, ColumnStatistics> = {};
  let byteLength = 0;
  for (const c of rg.columns as ColumnChunk[]) {
    const md = c.meta_data;
    if (!md) continue;
    byteLength += Number(md.total_compressed_size);
    const name = md.path_in_schema.join('.');
    const s = md.statistics;
    const conv = convertedOf.get(name);
    columns[name] = {
      min: statValue(s?.min_value ?? s?.min, conv),
      max: statValue(s?.max_value ?? s?.max, conv),
      nullCount: s?.null_count === undefined ? null : Number(s.null_count),
    };
  }
  return { file: rg.columns[0]?.file_path ?? '', index: indexInFile, numRows: Number(rg.num_rows), byteLength, columns };
}

/** A best-effort Unischema for a Parquet schema written by another tool (flat primitive columns). */
export function inferSchema(name: string, elements: SchemaElement[]): Unischema {
  const fields: FieldSpec[] = [];
  for (const e of elements.slice(1)) {
    if (e.num_children) continue;
    const lt = e.logical_type?.type;
    const ct = e.converted_type;
    let dtype: DType | null = null;
    if (lt === 'TIMESTAMP' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || e.type === 'INT96') dtype = 'timestamp';
    else if (lt === 'STRING' || ct === 'UTF8') dtype = 'string';
    else if (e.type === 'BOOLEAN') dtype = 'bool';
    else if (e.type === 'INT32') dtype = ct === 'UINT_8' ? 'uint8' : 'int32';
    else if (e.type === 'INT64') dtype = 'int64';
    else if (e.type === 'FLOAT') dtype = 'float32';
    else if (e.type === 'DOUBLE') dtype = 'float64';
    else if (e.type === 'BYTE_ARRAY') dtype = 'string';
    if (dtype && /^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name)) fields.push({ name: e.name, dtype, nullable: e.repetition_type !== 'REQUIRED' });
  }
  if (fields.length === 0) throw new StoreError(`store ${name}: no flat primitive columns to infer a schema from`, name);
  return defineSchema(name, fields);
}

/**
 * Opens a local store: schema, row count, files and row groups with per-column min/max, read from
 * `_metadata` when present (one small read), else from each part's footer.
 *
 * @example
 * const store = await openStore('./btc-store');
 * console.log(store.numRows, store.rowGroups.length, store.schema.fieldNames);
 */
export async function openStore(storeUrl: string | URL): Promise<StoreInfo> {
  const dir = localStorePath(storeUrl, 'openStore');
  try {
    if (!(await stat(dir)).isDirectory()) throw new StoreError(`openStore: ${dir} is not a directory; a store is a folder of part-*.parquet files`, dir);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`openStore: store ${dir} does not exist; create it with materializeDataset() or \`tfpl materialize\``, dir, { cause: err });
  }
  const state = await readStoreState(dir);
  if (!state.template) throw new StoreError(`openStore: ${dir} holds no Parquet data (no _metadata and no *.parquet files)`, dir);
  const convertedOf = new Map(state.template.schema.map((e) => [e.name, e.converted_type as string | undefined]));
  const perFile = new Map<string, number>();
  const rowGroups = state.rowGroups.map((rg) => {
    const file = rg.columns[0]?.file_path ?? '';
    const index = perFile.get(file) ?? 0;
    perFile.set(file, index + 1);
    return rowGroupInfo(rg, index, convertedOf);
  });
  const files: StoreFileInfo[] = await Promise.all(
    state.files.map(async (path) => ({
      path,
      numRows: rowGroups.filter((rg) => rg.file === path).reduce((s, rg) => s + rg.numRows, 0),
      byteLength: await stat(join(dir, path)).then(
        (st) => st.size,
        (err) => {
          throw new StoreError(`openStore: ${join(dir, path)} is listed in _metadata but cannot be read (${(err as Error).message}); the store was changed outside this SDK`, dir, { cause: err });
        },
      ),
    })),
  );
  const compression = [...new Set(state.rowGroups.flatMap((rg) => rg.columns.map((c) => c.meta_data?.codec ?? 'UNKNOWN')))];
  return {
    path: dir,
    schema: state.schema ?? inferSchema(dir, state.template.schema),
    schemaInferred: state.schema === null,
    numRows: rowGroups.reduce((s, rg) => s + rg.numRows, 0),
    files,
    rowGroups,
    compression,
    byteLength: files.reduce((s, f) => s + f.byteLength, 0),
    fromMetadataFile: state.hasMetadataFile,
  };
}
