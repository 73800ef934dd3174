import type { FileMetaData, RowGroup, SchemaElement } from 'hyparquet';
import { SchemaError, StoreError } from '../errors.js';
import { SCHEMA_METADATA_KEY, Unischema } from '../schema/unischema.js';
import type { ColumnSpec } from './decode-row-group.js';
import { PETASTORM_FILES_KEY, PETASTORM_SCHEMA_KEY, petastormSchema } from './petastorm-schema.js';
import { ParquetReadError } from './parquet-read-error.js';
import { readSourceFooter, type SourceFooter } from './source-footer.js';
import type { StoreField } from './store-field.js';
import type { StoreLocation } from './store-location.js';
import { topLevelColumns } from './parquet-schema-tree.js';

/** Min/max/null count of one column in one row group (timestamps in epoch ms); null when unknown. */
export interface ColumnStats {
  min: number | bigint | string | boolean | null;
  max: number | bigint | string | boolean | null;
  nullCount: number | null;
}

/** One row group of a store, in store order. */
export interface StoreRowGroup {
  /** Position in store order (files in order, row groups in file order). */
  ordinal: number;
  /** Data file relative to the store root. */
  file: string;
  /** Row group index inside `file`. */
  index: number;
  numRows: number;
  /** Compressed bytes of all its column chunks. */
  byteLength: number;
  stats: Record<string, ColumnStats>;
  /** Hive partition values from the file's folders (`key=value`). */
  partition: Record<string, string>;
}

/** What the loader knows about a store after reading its footers (no data read yet). */
export interface OpenedDataset {
  url: string;
  location: StoreLocation;
  /** Who wrote it, as far as the metadata tells. */
  writer: 'tfjs-parquet-loader' | 'petastorm' | 'parquet';
  name: string;
  fields: StoreField[];
  numRows: number;
  rowGroups: StoreRowGroup[];
  /** Per data file: its footer with only its own row groups. */
  footers: Map<string, FileMetaData>;
  /** Per Parquet column: how the decoder turns it into a loader column. */
  specs: Map<string, ColumnSpec>;
}

const FOOTER_CONCURRENCY = 8;

async function footerOf(location: StoreLocation, path: string): Promise<SourceFooter | null> {
  const src = await location.open(path);
  return src ? readSourceFooter(src) : null;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

function partitionOf(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = path.split('/');
  for (const seg of parts.slice(0, -1)) {
    const eq = seg.indexOf('=');
    if (eq > 0) out[decodeURIComponent(seg.slice(0, eq))] = decodeURIComponent(seg.slice(eq + 1));
  }
  return out;
}

function statValue(v: unknown): number | bigint | string | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isNaN(v)) return null; // NaN statistics are meaningless (pyarrow 0.8 wrote them)
  if (v instanceof Date) return v.getTime();
  if (v instanceof Uint8Array) return null; // binary blobs (Petastorm .npy) cannot be compared
  return v as number | bigint | string | boolean;
}

function rowGroupStats(rg: RowGroup): { stats: Record<string, ColumnStats>; byteLength: number } {
  const stats: Record<string, ColumnStats> = {};
  let byteLength = 0;
  for (const c of rg.columns) {
    const md = c.meta_data;
    if (!md) continue;
    byteLength += Number(md.total_compressed_size);
    if (md.path_in_schema.length !== 1) continue;
    const s = md.statistics;
    let min = statValue(s?.min_value ?? s?.min);
    let max = statValue(s?.max_value ?? s?.max);
    if (min === null || max === null) min = max = null;
    stats[md.path_in_schema[0]!] = { min, max, nullCount: s?.null_count === undefined ? null : Number(s.null_count) };
  }
  return { stats, byteLength };
}

function dtypeOf(e: SchemaElement | null): string {
  if (!e) return 'nested';
  const lt = e.logical_type?.type;
  const ct = e.converted_type;
  if (lt === 'TIMESTAMP' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || e.type === 'INT96' || ct === 'DATE' || lt === 'DATE') return 'timestamp';
  if (ct === 'DECIMAL' || lt === 'DECIMAL') return 'decimal';
  if (lt === 'STRING' || ct === 'UTF8' || ct === 'ENUM' || e.type === 'BYTE_ARRAY') return 'string';
  if (e.type === 'BOOLEAN') return 'bool';
  if (e.type === 'FLOAT') return 'float32';
  if (e.type === 'DOUBLE') return 'float64';
  if (e.type === 'INT64') return ct === 'UINT_64' ? 'uint64' : 'int64';
  if (e.type === 'INT32') return ({ INT_8: 'int8', INT_16: 'int16', UINT_8: 'uint8', UINT_16: 'uint16', UINT_32: 'uint32' } as Record<string, string>)[ct ?? ''] ?? 'int32';
  if (e.type === 'FIXED_LEN_BYTE_ARRAY') return 'bytes';
  return 'other';
}

function specOf(name: string, e: SchemaElement | null, field: StoreField | undefined, imageFormat: string | undefined): ColumnSpec {
  const spec: ColumnSpec = { name, codec: field?.codec ?? 'scalar', shape: [...(field?.shape ?? [])] };
  if (imageFormat) spec.imageFormat = imageFormat;
  if (!e || spec.codec !== 'scalar') return spec;
  const lt = e.logical_type;
  if (e.type === 'INT64' && (lt?.type === 'TIMESTAMP' || e.converted_type === 'TIMESTAMP_MILLIS' || e.converted_type === 'TIMESTAMP_MICROS')) {
    spec.timeUnit = lt?.type === 'TIMESTAMP' ? lt.unit : e.converted_type === 'TIMESTAMP_MICROS' ? 'MICROS' : 'MILLIS';
  } else if (e.type === 'INT96') spec.int96 = true;
  else if (e.converted_type === 'DATE' || lt?.type === 'DATE') spec.epochMs = true;
  else if (e.converted_type === 'DECIMAL' || lt?.type === 'DECIMAL') spec.decimalScale = e.scale ?? (lt?.type === 'DECIMAL' ? lt.scale : 0) ?? 0;
  else if (e.type === 'FLOAT') spec.float = 'f32';
  else if (e.type === 'DOUBLE') spec.float = 'f64';
  else if (e.repetition_type === 'REQUIRED' && e.type === 'INT32' && !e.converted_type?.startsWith('UINT_32')) spec.int = 'i32';
  else if (e.repetition_type === 'REQUIRED' && e.type === 'INT64' && e.converted_type !== 'UINT_64') spec.int = 'i64';
  else if (e.type === 'BYTE_ARRAY' && !e.converted_type && !lt && (field === undefined || field.dtype === 'string')) spec.text = true;
  return spec;
}

/**
 * Reads what the loader needs to plan reads, without touching data pages: the file list (from `_metadata`,
 * a listing, Petastorm's file list, or `files`), every row group with its statistics, Hive partition
 * values, and the schema (this SDK's JSON, Petastorm's pickled Unischema, or inferred from Parquet types).
 */
export async function openDataset(location: StoreLocation, caller = 'makeBatchReader'): Promise<OpenedDataset> {
  const listed = await location.list();
  // A single file stands alone: the summary files of the folder around it describe other files too.
  const summary = location.singleFile
    ? null
    : await footerOf(location, '_metadata').catch((err) => {
        if (err instanceof ParquetReadError) throw err;
        throw new StoreError(`${caller}: ${location.url}/_metadata cannot be read (${(err as Error).message})`, location.url, { cause: err });
      });
  // _common_metadata matters only when _metadata lacks the schema (Petastorm and pyarrow stores).
  const needCommon = !location.singleFile && !summary?.rawKeyValues.has(SCHEMA_METADATA_KEY);
  const common = needCommon ? await footerOf(location, '_common_metadata') : null;

  const footers = new Map<string, FileMetaData>();
  const fileRowGroups: { file: string; rgs: RowGroup[] }[] = [];
  let template: FileMetaData | null = null;
  let firstFooter: SourceFooter | null = null;
  if (summary && summary.metadata.row_groups.length > 0) {
    template = summary.metadata;
    const byFile = new Map<string, RowGroup[]>();
    for (const rg of summary.metadata.row_groups) {
      const f = rg.columns[0]?.file_path;
      if (!f) throw new StoreError(`${caller}: ${location.url}/_metadata has a row group without file_path`, location.url);
      if (!byFile.has(f)) byFile.set(f, []);
      byFile.get(f)!.push(rg);
    }
    for (const [file, rgs] of byFile) {
      fileRowGroups.push({ file, rgs });
      footers.set(file, { ...summary.metadata, row_groups: rgs });
    }
  } else {
    let files = listed;
    if (!files && common) {
      const json = common.rawKeyValues.get(PETASTORM_FILES_KEY);
      if (json) files = Object.keys(JSON.parse(new TextDecoder().decode(json)) as Record<string, number>).sort();
    }
    if (!files) {
      throw new StoreError(
        `${caller}: ${location.url} cannot be listed and has no _metadata (nor Petastorm's file list in _common_metadata); pass the data files as options.files`,
        location.url,
      );
    }
    if (files.length === 0) throw new StoreError(`${caller}: ${location.url} holds no Parquet data files`, location.url);
    const read = await mapLimit(files, FOOTER_CONCURRENCY, async (file) => {
      const f = await footerOf(location, file);
      if (!f) throw new StoreError(`${caller}: data file ${file} of ${location.url} does not exist`, location.url);
      return { file, f };
    });
    for (const { file, f } of read) {
      firstFooter ??= f;
      template ??= f.metadata;
      fileRowGroups.push({ file, rgs: f.metadata.row_groups });
      footers.set(file, f.metadata);
    }
  }
  if (!template) throw new StoreError(`${caller}: ${location.url} holds no Parquet data`, location.url);

  // Schema: this SDK's JSON, else Petastorm's pickle, else the Parquet types.
  const kv = (key: string) => summary?.rawKeyValues.get(key) ?? common?.rawKeyValues.get(key) ?? firstFooter?.rawKeyValues.get(key);
  const columns = topLevelColumns(template.schema);
  let writer: OpenedDataset['writer'] = 'parquet';
  let name = location.url;
  let declared: StoreField[] | null = null;
  const imageFormat = new Map<string, string>();
  const tfpl = kv(SCHEMA_METADATA_KEY);
  const peta = common?.rawKeyValues.get(PETASTORM_SCHEMA_KEY);
  if (tfpl) {
    let schema: Unischema;
    try {
      schema = Unischema.fromJSON(JSON.parse(new TextDecoder().decode(tfpl)));
    } catch (err) {
      throw new SchemaError(`${caller}: ${location.url}: key ${SCHEMA_METADATA_KEY} does not hold a valid schema: ${(err as Error).message}`, { file: location.url }, { cause: err });
    }
    writer = 'tfjs-parquet-loader';
    name = schema.name;
    declared = schema.fields.map((f) => ({ name: f.name, dtype: f.dtype, shape: f.shape, codec: f.codec, nullable: f.nullable, partition: false }));
  } else if (peta) {
    const ps = petastormSchema(peta, `${location.url}/_common_metadata`);
    writer = 'petastorm';
    name = ps.name;
    declared = ps.fields;
    for (const [k, v] of ps.imageFormat) imageFormat.set(k, v);
  }

  let ordinal = 0;
  const rowGroups: StoreRowGroup[] = [];
  const partitionKeys = new Set<string>();
  for (const { file, rgs } of fileRowGroups) {
    const partition = partitionOf(file);
    for (const k of Object.keys(partition)) partitionKeys.add(k);
    rgs.forEach((rg, index) => {
      const { stats, byteLength } = rowGroupStats(rg);
      for (const [k, v] of Object.entries(partition)) stats[k] = { min: v, max: v, nullCount: 0 };
      rowGroups.push({ ordinal: ordinal++, file, index, numRows: Number(rg.num_rows), byteLength, stats, partition });
    });
  }

  const declaredByName = new Map((declared ?? []).map((f) => [f.name, f]));
  const fields: StoreField[] = [];
  const specs = new Map<string, ColumnSpec>();
  const order = declared ? declared.map((f) => f.name) : [...columns.keys()];
  for (const n of [...columns.keys()]) if (!order.includes(n)) order.push(n);
  for (const k of partitionKeys) if (!order.includes(k)) order.push(k);
  for (const n of order) {
    const d = declaredByName.get(n);
    if (columns.has(n)) {
      const e = columns.get(n)!;
      fields.push(d ?? { name: n, dtype: dtypeOf(e), shape: [], codec: 'scalar', nullable: e?.repetition_type !== 'REQUIRED', partition: false });
      specs.set(n, specOf(n, e, d, imageFormat.get(n)));
    } else if (partitionKeys.has(n)) {
      fields.push({ ...(d ?? { name: n, dtype: 'string', shape: [], codec: 'scalar', nullable: false }), partition: true });
    }
    // A declared field with no column and no partition folder is not readable; leave it out.
  }
  return {
    url: location.url,
    location,
    writer,
    name,
    fields,
    numRows: rowGroups.reduce((s, rg) => s + rg.numRows, 0),
    rowGroups,
    footers,
    specs,
  };
}
