import { z } from 'zod';
import { StoreError } from '../errors.js';
import { parseOptions } from '../options.js';
import { SCHEMA_METADATA_KEY } from '../schema/unischema.js';
import { mapLimit } from '../store/map-limit.js';
import { withFilePath } from '../store/open-store.js';
import { readSourceFooter, type SourceFooter, type ThriftObject } from '../store/source-footer.js';
import { materializeOptionsShape } from './materialize.js';
import { COMMON_METADATA_FILE, METADATA_FILE } from './store-layout.js';
import { encodeSummaryFile } from './summary-file.js';
import { writeTargetFor } from './write-target-for.js';

const { s3, fetch, retry, fetchTimeoutMs, lockTimeoutMs } = materializeOptionsShape;
/** Options of `writeSummaryFiles`: how to reach an `s3://` dataset, and how long to wait for a local store's lock. */
export const summaryFilesOptionsSchema = z.strictObject({ s3, fetch, retry, fetchTimeoutMs, lockTimeoutMs });
export type SummaryFilesOptions = z.input<typeof summaryFilesOptionsSchema>;

/** What `writeSummaryFiles` wrote. */
export interface SummaryFilesResult {
  /** Data files described, relative to the dataset root, in `_metadata` order. */
  files: string[];
  rowGroups: number;
  numRows: number;
}

const CONCURRENCY = 8;

/** The parts of a schema element that decide how a column reads; the rest (field ids, comments) may differ. */
function columnShape(e: SchemaElementRaw): string {
  return JSON.stringify([e.field_1, e.field_2, e.field_3, e.field_4, e.field_5, e.field_6, e.field_7, e.field_8, e.field_10], (_k, v) =>
    typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? new TextDecoder().decode(v) : v,
  );
}
type SchemaElementRaw = ThriftObject;

function schemaName(e: SchemaElementRaw): string {
  const n = e.field_4;
  return n instanceof Uint8Array ? new TextDecoder().decode(n) : String(n);
}

/**
 * Writes `_metadata` (every row group of every data file, with `file_path`) and `_common_metadata` (the schema)
 * for a Parquet dataset folder written by another engine (Spark, DuckDB, pyarrow; plain or with Hive
 * `key=value` folders), like Petastorm's `petastorm-generate-metadata`. The SDK then opens it with one read,
 * and over HTTP without a file list. Row groups are copied from the footers byte for byte (statistics
 * included); every file must have the same Parquet schema. Key-value metadata of an existing
 * `_common_metadata` (a Petastorm Unischema) is kept. Each file is replaced atomically; data files are not
 * touched. A store written by this SDK is refused: its writer maintains its summary files. `dataset` may be a
 * folder or an `s3://bucket/prefix` (a dataset Spark or DuckDB wrote to an object store), where `_metadata`
 * is written with `If-Match` on the one it replaces (`If-None-Match: *` where there was none).
 *
 * @example
 * // DuckDB: COPY prices TO 'prices' (FORMAT PARQUET, PARTITION_BY (coin));
 * const { files, numRows } = await writeSummaryFiles('./prices');
 * const ds = await makeTfDataset('https://data.example.com/prices', { ... }); // no file list needed
 */
export async function writeSummaryFiles(dataset: string | URL, options: SummaryFilesOptions = {}): Promise<SummaryFilesResult> {
  const fn = 'writeSummaryFiles';
  const o = parseOptions(fn, summaryFilesOptionsSchema, options);
  const target = await writeTargetFor(dataset, fn, o);
  const dir = target.url;
  const location = await target.location();
  if (location.singleFile) throw new StoreError(`${fn}: ${dir} is a file; pass the dataset's folder`, dir);
  const files = (await location.list())!;
  if (files.length === 0) throw new StoreError(`${fn}: ${dir} holds no Parquet data files (*.parquet, outside folders starting with _ or .)`, dir);
  const footers = await mapLimit(files, CONCURRENCY, async (file): Promise<SourceFooter> => {
    const src = await location.open(file);
    if (!src) throw new StoreError(`${fn}: ${dir}/${file} disappeared while reading; is another process writing the dataset?`, dir);
    return readSourceFooter(src);
  });
  if (footers.some((f) => f.rawKeyValues.has(SCHEMA_METADATA_KEY))) {
    throw new StoreError(`${fn}: ${dir} is a store written by this SDK; its _metadata is written by materializeDataset at every commit (to rebuild it, delete _metadata and append to the store)`, dir);
  }
  const first = (footers[0]!.raw.field_2 as SchemaElementRaw[]).map(columnShape);
  footers.forEach((f, i) => {
    const schema = f.raw.field_2 as SchemaElementRaw[];
    const shapes = schema.map(columnShape);
    const at = shapes.findIndex((s, k) => s !== first[k]);
    if (at >= 0 || shapes.length !== first.length) {
      const column = at >= 0 ? schemaName(schema[at]!) : `(${shapes.length} vs ${first.length} schema elements)`;
      throw new StoreError(`${fn}: ${dir}/${files[i]} has another Parquet schema than ${files[0]} (first difference: column ${column}); one summary file describes one schema: rewrite the odd files, or move them out of the dataset`, dir);
    }
  });

  // Key-value metadata: the first part's, plus what an existing _common_metadata adds (Petastorm's Unischema).
  const keyValues = new Map<string, ThriftObject>();
  for (const kv of (footers[0]!.raw.field_5 as ThriftObject[] | undefined) ?? []) keyValues.set(new TextDecoder().decode(kv.field_1 as Uint8Array), kv);
  const common = await location.open(COMMON_METADATA_FILE);
  if (common) {
    const existing = await readSourceFooter(common).catch(() => null);
    for (const kv of (existing?.raw.field_5 as ThriftObject[] | undefined) ?? []) keyValues.set(new TextDecoder().decode(kv.field_1 as Uint8Array), kv);
  }
  const template: ThriftObject = { ...footers[0]!.raw, field_5: keyValues.size ? [...keyValues.values()] : undefined };
  const rowGroups = footers.flatMap((f, i) => ((f.raw.field_4 as ThriftObject[] | undefined) ?? []).map((rg) => withFilePath(rg, files[i]!)));

  const lock = await target.lock(o.lockTimeoutMs);
  try {
    const previous = (await location.open(METADATA_FILE))?.version ?? null;
    await target.writeSummary(COMMON_METADATA_FILE, encodeSummaryFile(template, []));
    await target.commit(encodeSummaryFile(template, rowGroups), previous, lock);
  } finally {
    await lock.release();
  }
  return { files, rowGroups: rowGroups.length, numRows: footers.reduce((s, f) => s + Number(f.metadata.num_rows), 0) };
}
