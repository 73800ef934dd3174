import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { access, mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, SchemaError, StoreError } from '../errors.js';
import { localLocation } from '../node/local-location.js';
import { parseOptions } from '../options.js';
import type { ColumnBatch } from '../schema/columns.js';
import { SCHEMA_METADATA_KEY, type Unischema, schemaDifferences } from '../schema/unischema.js';
import { compileRowValidator, validateColumns } from '../schema/validate.js';
import { bytesSource } from '../store/byte-range-source.js';
import { COMMITTED_PARTS_KEY, type CommittedPart, formatCommittedParts } from '../store/committed-parts.js';
import { readStore, storeInternals, withFilePath } from '../store/open-store.js';
import { readSourceFooter, type ThriftObject } from '../store/source-footer.js';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { COMPRESSIONS, type PartWriteOptions, writePartFile } from './part-writer.js';
import { RowGroupBuilder } from './row-group-builder.js';
import { arrowBatchToColumns, type ColumnChunk, isColumnBatch, type Row, type RowsInput } from './row-input.js';
import { acquireStoreLock } from './store-lock.js';
import { COMMON_METADATA_FILE, METADATA_FILE, TEMP_PREFIX, localStorePath, partFileName, partSequence, tempFileName } from './store-layout.js';
import { encodeSummaryFile } from './summary-file.js';

export const WRITE_MODES = ['create', 'append', 'overwrite'] as const;

/** Options of `materializeDataset` (and, with the CSV options, of `importCsv`). */
export const materializeOptionsShape = {
  /** Rows per Parquet row group (the readers' unit of parallelism and pruning). Default 65,536. */
  rowGroupSize: z.number().int().min(1).default(65_536),
  /** Rows per part file; a new `part-*.parquet` starts after this many. Default 1,048,576. */
  maxRowsPerFile: z.number().int().min(1).default(1_048_576),
  /** Column compression: 'zstd', 'snappy' or 'none'. Default 'zstd'. */
  compression: z.enum(COMPRESSIONS).default('zstd'),
  /** 'create' (default) fails if the store has data; 'append' adds parts; 'overwrite' replaces all parts. */
  mode: z.enum(WRITE_MODES).default('create'),
  /**
   * Sort the rows of this call by one scalar field or several (`['coin', 'timestamp']`: by coin, then time
   * inside each coin; the layout the windowing reads with one carry at a time). Stable; nulls last. Buffers
   * the whole input in memory. Default: none.
   */
  sortBy: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  /** How long to wait for another writer's lock on the store, in ms. Default 60,000. */
  lockTimeoutMs: z.number().int().min(0).default(60_000),
};
export const materializeOptionsSchema: z.ZodObject<typeof materializeOptionsShape, z.core.$strict> = z.strictObject(materializeOptionsShape);

/** Options of `materializeDataset`; see `materializeOptionsShape` for every field and default. */
export type MaterializeOptions = z.input<typeof materializeOptionsSchema>;

export interface MaterializeResult {
  /** Rows written by this call. */
  numRows: number;
  /** Part files written by this call, relative to the store root. */
  files: string[];
  /** Row groups written by this call. */
  rowGroups: number;
  /** Rows in the store after the commit. */
  storeRows: number;
}

/** Checks the rules between options and the schema, before any I/O (types are checked by the parse). */
export function checkMaterializeRules(schema: Unischema, o: z.output<typeof materializeOptionsSchema>): void {
  for (const key of sortKeys(o.sortBy)) {
    const f = schema.has(key) ? schema.field(key) : undefined;
    if (!f || f.codec !== 'scalar') throw new ConfigError(`materializeDataset: sortBy must name scalar fields of ${schema.name} (${schema.fieldNames.join(', ')}); received ${JSON.stringify(key)}`);
  }
  if (o.maxRowsPerFile < o.rowGroupSize) throw new ConfigError(`materializeDataset: maxRowsPerFile (${o.maxRowsPerFile}) must be >= rowGroupSize (${o.rowGroupSize})`);
}

/**
 * A raw footer describing `schema` with no row groups: the template for `_common_metadata` and `_metadata`,
 * produced by the same writer as the parts so the Parquet schema matches theirs exactly.
 */
async function templateFooter(schema: Unischema, o: PartWriteOptions): Promise<ThriftObject> {
  const empty = new RowGroupBuilder(schema, 1).flush();
  const props = new pw.WriterPropertiesBuilder().setKeyValueMetadata(new Map(Object.entries(o.keyValueMetadata))).build();
  const bytes = pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(new arrow.Table([empty]), 'stream')), props);
  return (await readSourceFooter(bytesSource('template', bytes))).raw;
}

/** Normalises every accepted input into validated column chunks or validated row objects, in order. */
async function* validatedInput(schema: Unischema, rows: RowsInput | AsyncIterable<ColumnChunk>): AsyncGenerator<{ row: Row } | ColumnChunk> {
  if (rows instanceof arrow.Table) {
    let offset = 0;
    for (const batch of rows.batches) {
      const columns = arrowBatchToColumns(batch);
      validateColumns(schema, columns, { rowOffset: offset });
      yield { batch: columns, origin: { rowOffset: offset } };
      offset += batch.numRows;
    }
    return;
  }
  if (isColumnBatch(rows)) {
    validateColumns(schema, rows);
    yield { batch: rows };
    return;
  }
  const validate = compileRowValidator(schema);
  let i = 0;
  for await (const item of rows as AsyncIterable<Row | ColumnChunk>) {
    // Internal callers (CSV import) stream column chunks; users stream row objects.
    if ((item as ColumnChunk).batch && isColumnBatch((item as ColumnChunk).batch) && Object.keys(item).every((k) => k === 'batch' || k === 'origin')) {
      const chunk = item as ColumnChunk;
      validateColumns(schema, chunk.batch, chunk.origin);
      yield chunk;
      i += chunk.batch.numRows;
      continue;
    }
    validate(item as Row, i++);
    yield { row: item as Row };
  }
}

/** Sorts the whole input by `key`, as one column batch (row objects are gathered, then sorted). */
const sortKeys = (sortBy: string | string[] | undefined): string[] => (sortBy === undefined ? [] : typeof sortBy === 'string' ? [sortBy] : sortBy);

async function sortedInput(schema: Unischema, input: AsyncGenerator<{ row: Row } | ColumnChunk>, keys: string[]): Promise<AsyncIterable<{ row: Row } | ColumnChunk>> {
  const rows: Row[] = [];
  for await (const item of input) {
    if ('row' in item) rows.push(item.row);
    else {
      const { batch } = item;
      for (let r = 0; r < batch.numRows; r++) {
        const row: Row = {};
        for (const f of schema.fields) {
          const v = (batch.columns[f.name] as ArrayLike<unknown>)[r];
          row[f.name] = typeof v === 'number' && Number.isNaN(v) ? null : v;
        }
        rows.push(row);
      }
    }
  }
  const keyOf = (r: Row, key: string) => {
    const v = r[key];
    return v instanceof Date ? v.getTime() : (v as number | bigint | string | boolean | null | undefined);
  };
  rows.sort((a, b) => {
    for (const key of keys) {
      const x = keyOf(a, key);
      const y = keyOf(b, key);
      if (x === y) continue;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  });
  return (async function* () {
    for (const row of rows) yield { row };
  })();
}

/** Pulls validated input into row groups of `rowGroupSize` rows. */
async function* rowGroupBatches(builder: RowGroupBuilder, input: AsyncIterable<{ row: Row } | ColumnChunk>): AsyncGenerator<arrow.RecordBatch> {
  for await (const item of input) {
    if ('row' in item) {
      builder.appendRow(item.row);
      if (builder.full) yield builder.flush();
      continue;
    }
    const batch: ColumnBatch = item.batch;
    for (let start = 0; start < batch.numRows; ) {
      const count = Math.min(builder.capacity - builder.numRows, batch.numRows - start);
      builder.appendColumns(batch, start, count);
      start += count;
      if (builder.full) yield builder.flush();
    }
  }
  if (builder.numRows > 0) yield builder.flush();
}

/**
 * Writes rows into a schema-enforced Parquet store: `part-NNNNN-<uuid>.parquet` files plus `_common_metadata`
 * (schema only) and `_metadata` (every row group, with `file_path`), readable by DuckDB, pyarrow and Spark.
 * Every row is validated against `schema`; the first bad row aborts the call and nothing is committed.
 * Input is converted one row group at a time (unless `sortBy` is set), but parquet-wasm holds each part's
 * compressed bytes until the part is finished, so memory grows with `maxRowsPerFile`. The commit is atomic: parts are written
 * under temporary names and renamed, and `_metadata` is replaced last, under a store lock.
 *
 * @example
 * await materializeDataset('./btc-store', BitcoinSchema, rows, { rowGroupSize: 10_000, mode: 'append' });
 */
export async function materializeDataset(
  storeUrl: string | URL,
  schema: Unischema,
  rows: RowsInput | AsyncIterable<ColumnChunk>,
  options: MaterializeOptions = {},
): Promise<MaterializeResult> {
  const o = parseOptions('materializeDataset', materializeOptionsSchema, options);
  checkMaterializeRules(schema, o);
  const dir = localStorePath(storeUrl, 'materializeDataset');
  await mkdir(dir, { recursive: true });
  const lock = await acquireStoreLock(dir, o.lockTimeoutMs);
  const written: string[] = [];
  try {
    const state = await readStore(await localLocation(dir), 'materializeDataset', { allowEmpty: true });
    const internals = storeInternals(state);
    const committedFiles = state.files.map((f) => f.path);
    await removeLeftovers(dir, state.uncommittedFiles.filter((f) => partSequence(f) >= 0));
    if (committedFiles.length > 0 || internals.hasMetadataFile) {
      // An empty committed store (a create that crashed after its baseline commit) may be created again.
      if (o.mode === 'create' && committedFiles.length > 0) {
        throw new StoreError(`materializeDataset: store ${dir} already holds ${state.numRows} rows in ${committedFiles.length} files; pass mode 'append' to add rows or 'overwrite' to replace them`, dir);
      }
      if (o.mode === 'append') {
        if (!state.schema) throw new SchemaError(`materializeDataset: store ${dir} has no ${SCHEMA_METADATA_KEY} schema (written by another tool); append needs a store written by this SDK, or use mode 'overwrite'`);
        const diffs = schemaDifferences(state.schema, schema);
        if (diffs.length) throw new SchemaError(`materializeDataset: cannot append to ${dir}: schema ${schema.name} differs from the store's ${state.schema.name}:\n  - ${diffs.join('\n  - ')}`);
      }
    }
    const partOptions: PartWriteOptions = {
      fields: schema.fields,
      rowGroupSize: o.rowGroupSize,
      compression: o.compression,
      keyValueMetadata: { [SCHEMA_METADATA_KEY]: JSON.stringify(schema.toJSON()) },
    };
    const builder = new RowGroupBuilder(schema, o.rowGroupSize);
    let input: AsyncIterable<{ row: Row } | ColumnChunk> = validatedInput(schema, rows);
    if (o.sortBy !== undefined) input = await sortedInput(schema, input as AsyncGenerator<{ row: Row } | ColumnChunk>, sortKeys(o.sortBy));
    const batches = rowGroupBatches(builder, input);

    // Numbering continues after the live parts in every mode, so an overwrite never reuses a live name.
    let sequence = Math.max(-1, ...committedFiles.map(partSequence)) + 1;
    const newRowGroups: ThriftObject[] = [];
    const newFiles: string[] = [];
    const newParts = new Map<string, CommittedPart>();
    let numRows = 0;
    let pending = await batches.next();
    const template = await templateFooter(schema, partOptions);
    if (!pending.done && !internals.hasMetadataFile && committedFiles.length === 0) {
      // A new store gets an empty commit before its first part: with _metadata present, readers never fall
      // back to listing part files, so parts of a create killed before its commit stay invisible.
      await writeFileAtomic(join(dir, COMMON_METADATA_FILE), encodeSummaryFile(template, []));
      await writeFileAtomic(join(dir, METADATA_FILE), encodeSummaryFile(template, [], { [COMMITTED_PARTS_KEY]: formatCommittedParts(new Map()) }));
    }
    while (!pending.done) {
      const fileName = partFileName(sequence++);
      const tmp = join(dir, tempFileName(fileName));
      written.push(tmp);
      newFiles.push(fileName);
      let rowsInFile = 0;
      const { byteLength, footer } = await writePartFile(
        tmp,
        async () => {
          if (pending.done || rowsInFile >= o.maxRowsPerFile) return null;
          const batch = pending.value;
          rowsInFile += batch.numRows;
          pending = await batches.next();
          return batch;
        },
        partOptions,
      );
      newRowGroups.push(...((footer.field_4 as ThriftObject[] | undefined) ?? []).map((rg) => withFilePath(rg, fileName)));
      numRows += rowsInFile;
      newParts.set(fileName, { byteLength, numRows: rowsInFile });
    }
    for (let i = 0; i < written.length; i++) {
      await rename(written[i]!, join(dir, newFiles[i]!));
      written[i] = join(dir, newFiles[i]!);
    }
    // The parts' names must be durable before the commit that lists them: a power loss may otherwise keep the
    // _metadata rename and lose a part rename.
    if (written.length > 0) await fsyncDir(dir);
    const keep = o.mode === 'append' ? internals.rawRowGroups : [];
    const allRowGroups = [...keep, ...newRowGroups];
    const parts = new Map<string, CommittedPart>(o.mode === 'append' ? state.files.map((f) => [f.path, { byteLength: f.byteLength, numRows: f.numRows }]) : []);
    for (const [f, p] of newParts) parts.set(f, p);
    if (o.mode !== 'append' || !(await exists(dir, COMMON_METADATA_FILE))) {
      await writeFileAtomic(join(dir, COMMON_METADATA_FILE), encodeSummaryFile(template, []));
    }
    // The commit point: until this rename, readers of _metadata see the previous state.
    await lock.assertHeld();
    await writeFileAtomic(join(dir, METADATA_FILE), encodeSummaryFile(template, allRowGroups, { [COMMITTED_PARTS_KEY]: formatCommittedParts(parts) }));
    written.length = 0;
    await fsyncDir(dir);
    if (o.mode === 'overwrite') await removeLeftovers(dir, committedFiles);
    return { numRows, files: newFiles, rowGroups: newRowGroups.length, storeRows: allRowGroups.reduce((s, rg) => s + Number(rg.field_3 as bigint), 0) };
  } finally {
    // Parts of a failed call are never listed in _metadata; delete them so glob readers don't see them either.
    await Promise.all(written.map((p) => unlink(p).catch(() => {})));
    await lock.release();
  }
}

async function exists(dir: string, name: string): Promise<boolean> {
  return access(join(dir, name)).then(
    () => true,
    () => false,
  );
}

/** Deletes temporary files and the given uncommitted/replaced data files. Only called under the store lock. */
async function removeLeftovers(dir: string, dataFiles: string[]): Promise<void> {
  const temps = (await readdir(dir)).filter((n) => n.startsWith(TEMP_PREFIX));
  await Promise.all([...temps, ...dataFiles].map((n) => unlink(join(dir, n)).catch(() => {})));
}
