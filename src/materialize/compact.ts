import { z } from 'zod';
import { ConfigError, StoreError } from '../errors.js';
import { parseOptions } from '../options.js';
import type { ColumnBatch } from '../schema/columns.js';
import { SCHEMA_METADATA_KEY, type Unischema } from '../schema/unischema.js';
import { COMMITTED_PARTS_KEY, type CommittedPart, formatCommittedParts } from '../store/committed-parts.js';
import { writeIoOptionsShape } from '../store/io-options.js';
import { isStore, type Store, storeInternals, withFilePath } from '../store/open-store.js';
import type { StoreLocation } from '../store/store-location.js';
import type { ThriftObject } from '../store/source-footer.js';
import { type CompactionRun, compactedPartRows, planCompaction } from './compaction-plan.js';
import { templateFooter } from './materialize.js';
import { isLostCommitRace } from './object-write-target.js';
import { concatColumns, partColumns, sortPermutation, takeRows } from './part-columns.js';
import { COMPRESSIONS, type CompressionName, type PartWriteOptions } from './part-writer.js';
import { readStoreState } from './read-state.js';
import { RowGroupBuilder } from './row-group-builder.js';
import { compactedPartFileName, compactedPartSequence, partSequence } from './store-layout.js';
import { expireReplaced, readStoreRecord, type StoreRecord, storeRecordKeyValues } from './store-record.js';
import { encodeSummaryFile } from './summary-file.js';
import type { CommitGuard, StoreWriteTarget } from './write-target.js';
import { writeTargetFor } from './write-target-for.js';

/** Options of `compactStore`. */
export const compactOptionsShape = {
  /** The row group size parts are rewritten to; a part with a row group this large is left alone. Default 65,536. */
  rowGroupSize: z.number().int().min(1).default(65_536),
  /** Rows per rewritten part. Default 1,048,576. */
  maxRowsPerFile: z.number().int().min(1).default(1_048_576),
  /** Compression of the rewritten parts. Default: the store's, when all its parts share one codec; else 'zstd'. */
  compression: z.enum(COMPRESSIONS).optional(),
  /**
   * How long the replaced parts stay on disk for readers that opened an older commit, in ms; a later write or
   * compaction deletes them once it is over. 0 deletes them right after the commit. Default 600,000 (10 min).
   */
  retentionMs: z.number().int().min(0).default(600_000),
  /** How long to wait for another compaction, and for the writers' lock at the commit (a local store), in ms. Default 60,000. */
  lockTimeoutMs: z.number().int().min(0).default(60_000),
  /** The clock (epoch ms) that dates replaced parts and ends their retention. Default `Date.now`. */
  now: z.custom<() => number>((v) => typeof v === 'function', { error: 'must be a function returning epoch milliseconds' }).optional(),
  /** An `s3://` store: how to reach it, and its requests' retries and timeout (see the read options). */
  ...writeIoOptionsShape,
};
export const compactOptionsSchema: z.ZodObject<typeof compactOptionsShape, z.core.$strict> = z.strictObject(compactOptionsShape);

/** Options of `compactStore`; see `compactOptionsShape` for every field and default. */
export type CompactOptions = z.input<typeof compactOptionsSchema>;

/** A store's layout, as a compaction counts it. */
export interface StoreLayoutFigures {
  parts: number;
  rowGroups: number;
  rows: number;
  /** Parts whose every row group holds fewer than `rowGroupSize` rows. */
  smallParts: number;
}

export interface CompactResult {
  /**
   * `'compacted'`: committed. `'unchanged'`: no run of small parts worth rewriting and nothing to remove.
   * `'conflict'`: another writer replaced parts this compaction rewrote (another compaction, an overwrite)
   * before it committed; nothing was committed and its new parts were removed (`reason` says which part).
   */
  outcome: 'compacted' | 'unchanged' | 'conflict';
  reason?: string;
  /** The store the compaction planned from. */
  before: StoreLayoutFigures;
  /** The store as this compaction committed it, with what other writers committed meanwhile; `before` when nothing was committed. */
  after: StoreLayoutFigures;
  /** Parts rewritten (kept on disk for `retentionMs`). */
  replaced: string[];
  /** Parts written. */
  written: string[];
  rowsRewritten: number;
  /** Parts replaced earlier whose retention was over, deleted after this commit. */
  removed: string[];
  /** What guarded the commit against other writers; see `MaterializeResult.commitGuard`. */
  commitGuard: CommitGuard;
}

/** Commits tried while appends keep landing on an object store between the read and the conditional write. */
const COMMIT_ATTEMPTS = 8;

const CODECS: Record<string, CompressionName> = { ZSTD: 'zstd', SNAPPY: 'snappy', UNCOMPRESSED: 'none' };

function figuresOf(files: readonly { path: string; numRows: number; rowGroups: number }[], largest: ReadonlyMap<string, number>, rowGroupSize: number): StoreLayoutFigures {
  return {
    parts: files.length,
    rowGroups: files.reduce((s, f) => s + f.rowGroups, 0),
    rows: files.reduce((s, f) => s + f.numRows, 0),
    smallParts: files.filter((f) => (largest.get(f.path) ?? 0) < rowGroupSize).length,
  };
}

const largestRowGroups = (store: Store) => {
  const out = new Map<string, number>();
  for (const rg of store.rowGroups) out.set(rg.file, Math.max(out.get(rg.file) ?? 0, rg.numRows));
  return out;
};

/** The raw row groups of each file of a store, in store order. */
function rawRowGroupsByFile(store: Store): Map<string, ThriftObject[]> {
  const raw = storeInternals(store).rawRowGroups;
  const out = new Map<string, ThriftObject[]>();
  store.rowGroups.forEach((rg, i) => {
    let list = out.get(rg.file);
    if (!list) out.set(rg.file, (list = []));
    list.push(raw[i]!);
  });
  return out;
}

/** Refuses what a compaction cannot rewrite: a store this SDK did not write, or a declared order of unknown fields. */
function checkCompactable(fn: string, store: Store, record: StoreRecord): Unischema {
  if (store.writer !== 'tfjs-parquet-loader' || !store.schema || store.summary !== 'metadata') {
    throw new StoreError(`${fn}: ${store.url} is not a store written by this SDK (no _metadata with a ${SCHEMA_METADATA_KEY} schema); only its own stores can be compacted: rewrite it with materializeDataset`, store.url);
  }
  const schema = store.schema;
  for (const key of record.sortBy ?? []) {
    if (!schema.has(key) || schema.field(key).codec !== 'scalar') {
      throw new StoreError(`${fn}: ${store.url} declares its rows sorted by ${JSON.stringify(key)}, which is not a scalar field of ${schema.name} (${schema.fieldNames.join(', ')}); rewrite the store with materializeDataset and a valid sortBy`, store.url);
    }
  }
  return schema;
}

/** The rows of a run's parts, in store order, checked against the row counts committed for them. */
async function runColumns(fn: string, store: Store, run: CompactionRun): Promise<ColumnBatch> {
  const { sources } = storeInternals(store);
  const batches: ColumnBatch[] = [];
  for (const file of run.files) {
    const source = sources.get(file)!;
    const batch = partColumns(await source.read(0, source.byteLength));
    const expected = store.files.find((f) => f.path === file)!.numRows;
    if (batch.numRows !== expected) throw new StoreError(`${fn}: ${store.url}/${file} holds ${batch.numRows} rows but _metadata lists ${expected}; the part was changed after its commit: restore it, or rewrite the store`, store.url);
    batches.push(batch);
  }
  return concatColumns(batches, store.schema!.fieldNames);
}

interface RewrittenRun {
  run: CompactionRun;
  parts: { name: string; rowGroups: ThriftObject[]; committed: CommittedPart }[];
}

/** Writes a run's rows, sorted as declared, as new parts of full row groups (and one part with the rest). */
async function rewriteRun(target: StoreWriteTarget, columns: ColumnBatch, schema: Unischema, sortBy: string[] | null, part: PartWriteOptions, o: { rowGroupSize: number; maxRowsPerFile: number }, nextName: () => string, written: string[]): Promise<RewrittenRun['parts']> {
  const rows = sortBy ? takeRows(columns, sortPermutation(columns, sortBy)) : columns;
  const builder = new RowGroupBuilder(schema, o.rowGroupSize);
  const out: RewrittenRun['parts'] = [];
  let at = 0;
  for (const count of compactedPartRows(rows.numRows, o)) {
    const name = nextName();
    written.push(name);
    const end = at + count;
    const { byteLength, footer } = await target.writePart(
      name,
      async () => {
        if (at >= end) return null;
        const n = Math.min(o.rowGroupSize, end - at);
        builder.appendColumns(rows, at, n);
        at += n;
        return builder.flush();
      },
      part,
    );
    out.push({ name, rowGroups: ((footer.field_4 as ThriftObject[] | undefined) ?? []).map((rg) => withFilePath(rg, name)), committed: { byteLength, numRows: count } });
  }
  return out;
}

/** What a compaction commits: the current store's row groups with each rewritten run's in place of its parts'. */
function compactedLayout(current: Store, rewritten: readonly RewrittenRun[]): { rowGroups: ThriftObject[]; parts: Map<string, CommittedPart>; files: { path: string; numRows: number; rowGroups: number }[]; largest: Map<string, number> } {
  const first = new Map(rewritten.map((r) => [r.run.files[0]!, r]));
  const replaced = new Set(rewritten.flatMap((r) => r.run.files));
  const committedParts = storeInternals(current).committedParts;
  const byFile = rawRowGroupsByFile(current);
  const largest = largestRowGroups(current);
  const out = { rowGroups: [] as ThriftObject[], parts: new Map<string, CommittedPart>(), files: [] as { path: string; numRows: number; rowGroups: number }[], largest };
  for (const f of current.files) {
    for (const p of first.get(f.path)?.parts ?? []) {
      out.rowGroups.push(...p.rowGroups);
      out.parts.set(p.name, p.committed);
      out.files.push({ path: p.name, numRows: p.committed.numRows, rowGroups: p.rowGroups.length });
      largest.set(p.name, Math.max(...p.rowGroups.map((rg) => Number(rg.field_3 as bigint))));
    }
    if (replaced.has(f.path)) continue;
    out.rowGroups.push(...byFile.get(f.path)!);
    out.parts.set(f.path, committedParts?.get(f.path) ?? { byteLength: f.byteLength, numRows: f.numRows });
    out.files.push(f);
  }
  return out;
}

/** Why the parts a compaction rewrote cannot replace what is committed now, or null when they can. */
function conflictWith(current: Store, planned: Store, runs: readonly CompactionRun[]): string | null {
  const now = new Map(current.files.map((f, i) => [f.path, { f, i }]));
  const then = new Map(planned.files.map((f) => [f.path, f]));
  for (const run of runs) {
    let previous = -1;
    for (const file of run.files) {
      const was = then.get(file)!;
      const is = now.get(file);
      if (!is) return `${file} is no longer committed: another compaction or an overwrite replaced it after this compaction read the store`;
      if (is.f.byteLength !== was.byteLength || is.f.numRows !== was.numRows) return `${file} was committed again with other contents after this compaction read the store`;
      if (previous >= 0 && is.i !== previous + 1) return `${file} no longer follows ${run.files[run.files.indexOf(file) - 1]} in the store: another writer reordered its parts`;
      previous = is.i;
    }
  }
  return null;
}

/**
 * Rewrites a store's small parts (parts whose every row group holds fewer than `rowGroupSize` rows, such as
 * a collector's one commit per tick) into parts of full row groups, sorted as the store declares (its
 * `sortBy`; a store that declares none keeps its row order), each run of consecutive small parts in the place
 * it had. Values and row counts never change. Large parts are left alone.
 *
 * Safe while readers and writers run. The rewrite is done without the writers' lock; the commit then takes
 * it (a local store) or is conditional on `_metadata`'s version (an object store; retried when an append
 * lands in between), re-reads `_metadata` and commits what it holds now with the rewritten parts in place of
 * theirs, so appends committed meanwhile are kept. If another writer replaced any rewritten part first, the
 * compaction commits nothing, removes its parts and returns `outcome: 'conflict'`. Replaced parts are not
 * deleted at the commit: readers that opened an older commit keep reading them, for `retentionMs`; a later
 * write or compaction deletes them once it is over. `_metadata` records them (they are never read as data).
 * One compaction runs at a time on a local store (`_tfpl-compaction.lock`). Pass an opened `Store` to compact
 * what it describes (a commit that replaced its parts since is then a conflict).
 *
 * @example
 * const r = await compactStore('./market', { rowGroupSize: 65_536 });
 * console.log(`${r.before.parts} parts → ${r.after.parts}, ${r.before.rowGroups} row groups → ${r.after.rowGroups}`);
 */
export async function compactStore(store: string | URL | Store, options: CompactOptions = {}): Promise<CompactResult> {
  const fn = 'compactStore';
  const o = parseOptions(fn, compactOptionsSchema, options);
  if (o.maxRowsPerFile < o.rowGroupSize) throw new ConfigError(`${fn}: maxRowsPerFile (${o.maxRowsPerFile}) must be >= rowGroupSize (${o.rowGroupSize})`);
  const now = o.now ?? Date.now;
  const target = await writeTargetFor(isStore(store) ? store.url : store, fn, o);
  const location: StoreLocation = await target.location().catch((err: unknown) => {
    throw err instanceof StoreError ? new StoreError(`${fn}: ${err.message}`, err.path, { cause: err }) : err;
  });
  const compactionLock = await target.compactionLock(o.lockTimeoutMs);
  const written: string[] = [];
  let committed = false;
  try {
    const fresh = await readStoreState(location, fn, { listUncommitted: true });
    const record = readStoreRecord(storeInternals(fresh).rawTemplate, fresh.url);
    const planned = isStore(store) ? store : fresh;
    const schema = checkCompactable(fn, planned, record);
    const before = figuresOf(planned.files, largestRowGroups(planned), o.rowGroupSize);
    const commitGuard = await target.commitGuard();
    const unchanged = (outcome: 'unchanged' | 'conflict', reason: string): CompactResult => ({ outcome, reason, before, after: before, replaced: [], written: [], rowsRewritten: 0, removed: [], commitGuard });
    // What killed compactions left: under the compaction lock, nothing of it is another's work in progress.
    await target.removeCompactionLeftovers(fresh.uncommittedFiles.filter((f) => compactedPartSequence(f) >= 0 && !record.replaced.has(f)));

    const { runs } = planCompaction(planned.files, planned.rowGroups, o);
    const nothingToRewrite = `no run of small parts (row groups under ${o.rowGroupSize} rows) would make fewer row groups or files`;
    // With nothing to rewrite, a commit still drops replaced parts whose retention is over.
    if (runs.length === 0 && expireReplaced(record.replaced, now()).expired.length === 0) return unchanged('unchanged', nothingToRewrite);
    const codecs = planned.compression.map((c) => CODECS[c]);
    const part: PartWriteOptions = {
      fields: schema.fields,
      rowGroupSize: o.rowGroupSize,
      compression: o.compression ?? (codecs.length === 1 && codecs[0] ? codecs[0] : 'zstd'),
      keyValueMetadata: { [SCHEMA_METADATA_KEY]: JSON.stringify(schema.toJSON()) },
    };
    let sequence = Math.max(-1, ...[...planned.files.map((f) => f.path), ...fresh.uncommittedFiles].map((f) => Math.max(partSequence(f), compactedPartSequence(f)))) + 1;
    const nextName = () => compactedPartFileName(sequence++);

    // The expensive part, while writers go on committing.
    const rewritten: RewrittenRun[] = [];
    for (const run of runs) {
      let columns: ColumnBatch;
      try {
        columns = await runColumns(fn, planned, run);
      } catch (err) {
        // A part gone since the plan was made (replaced, then removed after its retention): not ours to redo.
        const current = await readStoreState(location, fn);
        const reason = conflictWith(current, planned, [run]);
        if (reason) return unchanged('conflict', reason);
        throw err;
      }
      rewritten.push({ run, parts: await rewriteRun(target, columns, schema, record.sortBy, part, o, nextName, written) });
    }

    // The commit: the writers' lock (local) or a conditional write on the _metadata read here (object store).
    const template = await templateFooter(schema, part);
    for (let attempt = 1; ; attempt++) {
      const lock = await target.lock(o.lockTimeoutMs);
      try {
        const current = await readStoreState(location, fn);
        const reason = conflictWith(current, planned, runs);
        if (reason) return unchanged('conflict', reason);
        if (attempt === 1) await target.publishParts(written);
        const currentRecord = readStoreRecord(storeInternals(current).rawTemplate, current.url);
        const at = now();
        const replaced = new Map(currentRecord.replaced);
        for (const f of rewritten.flatMap((r) => r.run.files)) replaced.set(f, { replacedAt: at, removeAfter: at + o.retentionMs });
        const { expired, kept } = expireReplaced(replaced, at);
        const layout = compactedLayout(current, rewritten);
        const keyValues = { [COMMITTED_PARTS_KEY]: formatCommittedParts(layout.parts), ...storeRecordKeyValues({ sortBy: currentRecord.sortBy, replaced: kept }) };
        try {
          await target.commit(encodeSummaryFile(template, layout.rowGroups, keyValues), storeInternals(current).metadataVersion, lock);
        } catch (err) {
          if (isLostCommitRace(err) && attempt < COMMIT_ATTEMPTS) continue;
          throw err;
        }
        committed = true;
        await target.removeReplaced(expired);
        return {
          outcome: rewritten.length > 0 ? 'compacted' : 'unchanged',
          ...(rewritten.length > 0 ? {} : { reason: nothingToRewrite }),
          before,
          after: figuresOf(layout.files, layout.largest, o.rowGroupSize),
          replaced: rewritten.flatMap((r) => r.run.files),
          written: [...written],
          rowsRewritten: rewritten.reduce((n, r) => n + r.run.rows, 0),
          removed: expired,
          commitGuard,
        };
      } finally {
        await lock.release();
      }
    }
  } finally {
    if (!committed) await target.abandon(written);
    await compactionLock.release();
  }
}
