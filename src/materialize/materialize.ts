import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { z } from 'zod';
import { ConfigError, SchemaError, StoreError } from '../errors.js';
import { parseOptions } from '../options.js';
import type { ColumnBatch } from '../schema/columns.js';
import { SCHEMA_METADATA_KEY, type Unischema, schemaDifferences } from '../schema/unischema.js';
import { compileRowValidator, validateColumns } from '../schema/validate.js';
import { bytesSource } from '../store/byte-range-source.js';
import { COMMITTED_PARTS_KEY, type CommittedPart, formatCommittedParts } from '../store/committed-parts.js';
import { writeIoOptionsShape } from '../store/io-options.js';
import { storeInternals, withFilePath } from '../store/open-store.js';
import { readStoreState } from './read-state.js';
import { readSourceFooter, type ThriftObject } from '../store/source-footer.js';
import { COMPRESSIONS, type PartWriteOptions } from './part-writer.js';
import { RowGroupBuilder } from './row-group-builder.js';
import { arrowBatchToColumns, type ColumnChunk, isColumnBatch, type Row, type RowsInput } from './row-input.js';
import { COMMON_METADATA_FILE, compactedPartSequence, partFileName, partSequence } from './store-layout.js';
import { expireReplaced, readStoreRecord, storeRecordKeyValues } from './store-record.js';
import type { CommitGuard } from './write-target.js';
import { writeTargetFor } from './write-target-for.js';
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
   * the whole input in memory. The store records it as its declared order (what `compactStore` sorts by) when
   * it is created or overwritten, or appended to while it declares none; an append keeps a declared order.
   * Default: none.
   */
  sortBy: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  /** How long to wait for another writer's lock on a local store, in ms. Default 60,000. */
  lockTimeoutMs: z.number().int().min(0).default(60_000),
  /** An `s3://` store: how to reach it, and its requests' retries and timeout (see the read options). */
  ...writeIoOptionsShape,
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
  /**
   * What kept other writers from committing over this one: `'lock'` (a local store's lock file),
   * `'conditional'` (an object store that honours `If-Match`), `'none'` (one that ignores it: two writers at
   * once can lose one commit; run one writer per store).
   */
  commitGuard: CommitGuard;
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
export async function templateFooter(schema: Unischema, o: PartWriteOptions): Promise<ThriftObject> {
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
 * Input is converted one row group at a time (unless `sortBy` is set) and a local part is written row group by
 * row group, so memory grows with neither the input nor the part; a part for an object store is held whole
 * until uploaded (at most `maxRowsPerFile` rows, compressed). The commit is atomic: parts are written
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
  const fn = 'materializeDataset';
  const o = parseOptions(fn, materializeOptionsSchema, options);
  checkMaterializeRules(schema, o);
  const target = await writeTargetFor(storeUrl, fn, o);
  const url = target.url;
  const lock = await target.lock(o.lockTimeoutMs);
  const written: string[] = [];
  let committed = false;
  try {
    const location = await target.location();
    const state = await readStoreState(location, fn, { allowEmpty: true, listUncommitted: true });
    const internals = storeInternals(state);
    const committedFiles = state.files.map((f) => f.path);
    // Parts a compaction replaced are not committed but kept for readers of older commits: not leftovers.
    const record = readStoreRecord(internals.hasMetadataFile ? internals.rawTemplate : null, url);
    const notReplaced = (f: string) => !record.replaced.has(f);
    await target.cleanBefore(state.uncommittedFiles.filter(notReplaced));
    if (committedFiles.length > 0 || internals.hasMetadataFile) {
      // An empty committed store (a create that crashed after its baseline commit) may be created again.
      if (o.mode === 'create' && committedFiles.length > 0) {
        throw new StoreError(`${fn}: store ${url} already holds ${state.numRows} rows in ${committedFiles.length} files; pass mode 'append' to add rows or 'overwrite' to replace them`, url);
      }
      if (o.mode === 'append') {
        if (!state.schema) throw new SchemaError(`${fn}: store ${url} has no ${SCHEMA_METADATA_KEY} schema (written by another tool); append needs a store written by this SDK, or use mode 'overwrite'`);
        const diffs = schemaDifferences(state.schema, schema);
        if (diffs.length) throw new SchemaError(`${fn}: cannot append to ${url}: schema ${schema.name} differs from the store's ${state.schema.name}:\n  - ${diffs.join('\n  - ')}`);
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
    let sequence = Math.max(-1, ...committedFiles.map((f) => Math.max(partSequence(f), compactedPartSequence(f)))) + 1;
    const newRowGroups: ThriftObject[] = [];
    const newParts = new Map<string, CommittedPart>();
    let numRows = 0;
    let pending = await batches.next();
    const template = await templateFooter(schema, partOptions);
    let expected = internals.metadataVersion;
    if (!pending.done && !internals.hasMetadataFile && committedFiles.length === 0) {
      // A new store gets an empty commit before its first part: with _metadata present, readers never fall
      // back to listing part files, so parts of a create killed before its commit stay invisible.
      await target.writeSummary(COMMON_METADATA_FILE, encodeSummaryFile(template, []));
      await target.commit(encodeSummaryFile(template, [], { [COMMITTED_PARTS_KEY]: formatCommittedParts(new Map()) }), null, lock);
      // The next commit replaces this one: a conditional target needs its version.
      if ((await target.commitGuard()) !== 'lock') expected = storeInternals(await readStoreState(await target.location(), fn, { allowEmpty: true })).metadataVersion;
    }
    while (!pending.done) {
      const fileName = partFileName(sequence++);
      written.push(fileName);
      let rowsInFile = 0;
      const { byteLength, footer } = await target.writePart(
        fileName,
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
    await target.publishParts(written);
    const keep = o.mode === 'append' ? internals.rawRowGroups : [];
    const allRowGroups = [...keep, ...newRowGroups];
    const parts = new Map<string, CommittedPart>(o.mode === 'append' ? state.files.map((f) => [f.path, { byteLength: f.byteLength, numRows: f.numRows }]) : []);
    for (const [f, p] of newParts) parts.set(f, p);
    if (o.mode !== 'append' || (await location.open(COMMON_METADATA_FILE)) === null) {
      await target.writeSummary(COMMON_METADATA_FILE, encodeSummaryFile(template, []));
    }
    const requested = o.sortBy === undefined ? null : sortKeys(o.sortBy);
    const sortBy = o.mode === 'append' ? (record.sortBy ?? requested) : requested;
    // Replaced parts whose retention ended leave the record with this commit, and the disk after it.
    const { expired, kept } = expireReplaced(record.replaced, Date.now());
    const keyValues = { [COMMITTED_PARTS_KEY]: formatCommittedParts(parts), ...storeRecordKeyValues({ sortBy, replaced: kept }) };
    // The commit point: until it, readers of _metadata see the previous state.
    await target.commit(encodeSummaryFile(template, allRowGroups, keyValues), expected, lock);
    committed = true;
    if (o.mode === 'overwrite') await target.removeReplaced(committedFiles);
    await target.removeReplaced(expired);
    const listed = new Set(parts.keys());
    await target.removeLeftovers(state.uncommittedFiles.filter((f) => partSequence(f) >= 0 && !listed.has(f) && notReplaced(f)));
    return {
      numRows,
      files: [...newParts.keys()],
      rowGroups: newRowGroups.length,
      storeRows: allRowGroups.reduce((s, rg) => s + Number(rg.field_3 as bigint), 0),
      commitGuard: await target.commitGuard(),
    };
  } finally {
    if (!committed) await target.abandon(written);
    await lock.release();
  }
}
