import { ConfigError } from '../errors.js';
import type { FetchStats } from '../store/remote-request.js';
import type { ColumnBatch } from '../schema/columns.js';
import { openStoreFor, type Store, type StoreRowGroup, storeInternals } from '../store/open-store.js';
import type { StoreField } from '../store/store-field.js';
import type { StoreRef } from '../store/store-location.js';
import { type ParsedReaderOptions, parseReaderOptions, type ReaderOptions, threadsFor } from './read-options.js';
import { Rebatcher } from './rebatch.js';
import { mayMatch } from './row-filter.js';
import { RowGroupLoader, type ReaderStats } from './row-group-loader.js';
import { RowGroupPlan } from './row-group-plan.js';
import { type ReadUnit, unitsOf } from './read-unit.js';
import { EventLoopTurns } from './event-loop-turns.js';
import { rowGroupStream } from './row-group-stream.js';

/**
 * An async-iterable reader of column batches. Each `for await` starts again from epoch 0; breaking out of
 * the loop stops the decode workers, and `close()` does the same for a reader not being iterated.
 */
export interface BatchReader extends AsyncIterable<ColumnBatch> {
  readonly url: string;
  /** The store read, as `openStore` describes it (writer, schema, files, row groups). */
  readonly store: Store;
  /** The fields delivered, in order. */
  readonly fields: readonly StoreField[];
  /** Rows per epoch in this shard after row-group pruning (row filters may deliver fewer). */
  readonly numRows: number;
  /** Row groups per epoch in this shard after pruning (a large one counts once per slice read: see `maxBatchBytes`). */
  readonly numRowGroups: number;
  /** The shuffle seed in use (random unless given). */
  readonly seed: number;
  /** Decode threads (0: the calling thread). */
  readonly workers: number;
  readonly stats: Readonly<ReaderStats>;
  /** Bytes, requests and retries of a remote store so far, and bytes read from its cache (undefined for local stores). */
  readonly fetchStats: Readonly<FetchStats> | undefined;
  /** Decode workers alive right now. */
  readonly liveWorkers: number;
  close(): Promise<void>;
}

/** Row groups a read may need: non-empty and not ruled out by the filters' statistics. */
export function prunedRowGroups(store: Store, o: Pick<ParsedReaderOptions, 'filters'>): StoreRowGroup[] {
  return store.rowGroups.filter((rg) => rg.numRows > 0 && mayMatch(rg.stats, o.filters));
}

/** Checks that `columns` and the filter columns exist in the store. */
export function checkColumns(caller: string, store: Store, columns: readonly string[], o: Pick<ParsedReaderOptions, 'filters'>): void {
  const names = store.fields.map((f) => f.name);
  const unknown = (c: string) => !names.includes(c);
  const bad = columns.find(unknown);
  if (bad !== undefined) throw new ConfigError(`${caller}: column ${JSON.stringify(bad)} is not in ${store.url}; columns: ${names.join(', ')}`);
  const badFilter = o.filters.find(([c]) => unknown(c));
  if (badFilter) throw new ConfigError(`${caller}: filter column ${JSON.stringify(badFilter[0])} is not in ${store.url}; columns: ${names.join(', ')}`);
}

/** Creates a reader over an opened store; options already parsed. */
export function createBatchReader(store: Store, o: ParsedReaderOptions, caller: string): BatchReader {
  const delivered = o.columns ? [...o.columns] : store.fields.map((f) => f.name);
  checkColumns(caller, store, delivered, o);
  const filterOnly = [...new Set(o.filters.map(([c]) => c))].filter((c) => !delivered.includes(c));
  const stats: ReaderStats = { rowGroupsRead: 0, rowGroupsPruned: 0, rowsDecoded: 0, bytesRead: 0 };
  const kept = prunedRowGroups(store, o);
  stats.rowGroupsPruned = store.rowGroups.length - kept.length;
  // Shards and shuffles split units: a large row group's slices can go to different shards.
  const plan = new RowGroupPlan(unitsOf(kept, o.maxBatchBytes), { shardIndex: o.shardIndex, shardCount: o.shardCount, shuffleRowGroups: o.shuffleRowGroups, seed: o.seed });
  const { workers, prefetch } = threadsFor(o, plan.numRows);
  const loader = new RowGroupLoader(store, [...delivered, ...filterOnly], workers, stats, { verifyChecksums: o.verifyChecksums, maxBatchBytes: o.maxBatchBytes });
  const fields = delivered.map((n) => store.fields.find((f) => f.name === n)!);

  function* plannedUnits(): Generator<ReadUnit> {
    for (let epoch = 0; o.numEpochs === null || epoch < o.numEpochs; epoch++) {
      if (plan.shard.length === 0) return;
      yield* plan.epoch(epoch);
    }
  }

  async function* rowGroupBatches(): AsyncGenerator<ColumnBatch> {
    for await (const { batch } of rowGroupStream(loader, plannedUnits(), { prefetch, readAheadBytes: storeInternals(store).readAheadBytes }, o.filters, delivered)) yield batch;
  }

  async function* batches(): AsyncGenerator<ColumnBatch> {
    // The decode threads' messages and the reads ahead are served between batches, not only when one is awaited.
    const turns = new EventLoopTurns();
    try {
      if (o.batchSize === undefined) {
        for await (const b of rowGroupBatches()) {
          if (b.numRows === 0) continue;
          const turn = turns.due();
          if (turn) await turn;
          yield b;
        }
        return;
      }
      const r = new Rebatcher(o.batchSize);
      for await (const b of rowGroupBatches()) {
        r.push(b);
        for (let out = r.take(); out; out = r.take()) {
          const turn = turns.due();
          if (turn) await turn;
          yield out;
        }
      }
      const rest = r.flush();
      if (rest) yield rest;
    } finally {
      await loader.close();
    }
  }

  return {
    url: store.url,
    store,
    fields,
    numRows: plan.numRows,
    numRowGroups: plan.shard.length,
    seed: o.seed,
    workers,
    stats,
    get fetchStats() {
      return store.location.stats;
    },
    get liveWorkers() {
      return loader.liveWorkers;
    },
    [Symbol.asyncIterator]: () => batches(),
    close: () => loader.close(),
  };
}

/**
 * Opens a store and returns a streaming reader of column batches: numeric columns as typed arrays
 * (timestamps as Float64Array epoch ms, nullable floats with NaN), strings as arrays, tensor fields
 * (`.npy`, PNG/JPEG) as `{ shape, data }`. Options are validated before any I/O.
 *
 * @example
 * const reader = await makeBatchReader('./btc-store', { columns: ['timestamp', 'price_usd'], batchSize: 4096 });
 * for await (const { numRows, columns } of reader) train(columns.price_usd as Float32Array, numRows);
 */
export async function makeBatchReader(store: StoreRef | Store, options: ReaderOptions = {}): Promise<BatchReader> {
  return openBatchReader('makeBatchReader', store, options);
}

/** `makeBatchReader` for a named caller: options checked before any I/O, then the store opened (unless it already is). */
export async function openBatchReader(caller: string, store: StoreRef | Store, options: ReaderOptions): Promise<BatchReader> {
  const o = parseReaderOptions(caller, options);
  return createBatchReader(await openStoreFor(caller, store, o), o, caller);
}
