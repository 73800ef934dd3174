import { ConfigError } from '../errors.js';
import type { Column, ColumnBatch } from '../schema/columns.js';
import { type OpenedDataset, openDataset } from './open-dataset.js';
import { type ParsedReaderOptions, parseReaderOptions, type ReaderOptions } from './reader-options.js';
import { Rebatcher } from './rebatch.js';
import { matchingRows, mayMatch, takeRows } from './row-filter.js';
import { RowGroupLoader, type ReaderStats } from './row-group-loader.js';
import { RowGroupPlan } from './row-group-plan.js';
import type { StoreField } from './store-field.js';
import { resolveLocation, type StoreLocation } from './store-location.js';

/**
 * An async-iterable reader of column batches. Each `for await` starts again from epoch 0; breaking out of
 * the loop stops the decode workers, and `close()` does the same for a reader not being iterated.
 */
export interface BatchReader extends AsyncIterable<ColumnBatch> {
  readonly url: string;
  /** Who wrote the store: 'tfjs-parquet-loader', 'petastorm' or 'parquet' (anything else). */
  readonly writer: OpenedDataset['writer'];
  /** The store's schema name (Unischema name, or the URL). */
  readonly schemaName: string;
  /** The fields delivered, in order. */
  readonly fields: readonly StoreField[];
  /** Rows per epoch in this shard after row-group pruning (row filters may deliver fewer). */
  readonly numRows: number;
  /** Row groups per epoch in this shard after pruning. */
  readonly numRowGroups: number;
  /** The shuffle seed in use (random unless given). */
  readonly seed: number;
  readonly stats: Readonly<ReaderStats>;
  /** Bytes and requests fetched over HTTP so far (undefined for local stores). */
  readonly fetchStats: Readonly<{ bytesFetched: number; requests: number }> | undefined;
  /** Decode workers alive right now. */
  readonly liveWorkers: number;
  close(): Promise<void>;
}

/** Creates a reader over an opened dataset; options already parsed. */
export function createBatchReader(ds: OpenedDataset, o: ParsedReaderOptions, caller: string): BatchReader {
  const names = ds.fields.map((f) => f.name);
  const unknown = (c: string) => !names.includes(c);
  const bad = (o.columns ?? []).find(unknown);
  if (bad !== undefined) throw new ConfigError(`${caller}: column ${JSON.stringify(bad)} is not in ${ds.url}; columns: ${names.join(', ')}`);
  const badFilter = o.filters.find(([c]) => unknown(c));
  if (badFilter) throw new ConfigError(`${caller}: filter column ${JSON.stringify(badFilter[0])} is not in ${ds.url}; columns: ${names.join(', ')}`);
  const delivered = o.columns ? [...o.columns] : names;
  const filterOnly = [...new Set(o.filters.map(([c]) => c))].filter((c) => !delivered.includes(c));
  const stats: ReaderStats = { rowGroupsRead: 0, rowGroupsPruned: 0, rowsDecoded: 0, bytesRead: 0 };
  const kept = ds.rowGroups.filter((rg) => rg.numRows > 0 && mayMatch(rg.stats, o.filters));
  stats.rowGroupsPruned = ds.rowGroups.length - kept.length;
  const plan = new RowGroupPlan(kept, { shardIndex: o.shardIndex, shardCount: o.shardCount, shuffleRowGroups: o.shuffleRowGroups, seed: o.seed });
  const loader = new RowGroupLoader(ds, [...delivered, ...filterOnly], o.workers, stats);
  const fields = delivered.map((n) => ds.fields.find((f) => f.name === n)!);

  function filtered(batch: ColumnBatch): ColumnBatch {
    const idx = matchingRows(batch, o.filters);
    const columns: Record<string, Column> = {};
    for (const n of delivered) columns[n] = idx ? takeRows(batch.columns[n]!, idx) : batch.columns[n]!;
    return { numRows: idx ? idx.length : batch.numRows, columns };
  }

  async function* rowGroupBatches(): AsyncGenerator<ColumnBatch> {
    // Row groups in plan order with at most `prefetch` being fetched/decoded: results are delivered in
    // order even when decoded out of order, and nothing new starts until the consumer pulls.
    const inFlight: Promise<ColumnBatch>[] = [];
    let epoch = 0;
    let queue = plan.epoch(0);
    let pos = 0;
    const nextRowGroup = () => {
      while (pos >= queue.length) {
        epoch++;
        if (o.numEpochs !== null && epoch >= o.numEpochs) return null;
        if (plan.shard.length === 0) return null;
        queue = plan.epoch(epoch);
        pos = 0;
      }
      return queue[pos++]!;
    };
    const fill = () => {
      while (inFlight.length < o.prefetch) {
        const rg = nextRowGroup();
        if (!rg) break;
        const p = loader.load(rg);
        p.catch(() => {}); // observed when its turn comes; this only stops an unhandled-rejection crash meanwhile
        inFlight.push(p);
      }
    };
    fill();
    while (inFlight.length > 0) {
      const batch = await inFlight.shift()!;
      fill();
      yield filtered(batch);
    }
  }

  async function* batches(): AsyncGenerator<ColumnBatch> {
    try {
      if (o.batchSize === undefined) {
        for await (const b of rowGroupBatches()) if (b.numRows > 0) yield b;
        return;
      }
      const r = new Rebatcher(o.batchSize);
      for await (const b of rowGroupBatches()) {
        r.push(b);
        for (let out = r.take(); out; out = r.take()) yield out;
      }
      const rest = r.flush();
      if (rest) yield rest;
    } finally {
      await loader.close();
    }
  }

  return {
    url: ds.url,
    writer: ds.writer,
    schemaName: ds.name,
    fields,
    numRows: plan.numRows,
    numRowGroups: plan.shard.length,
    seed: o.seed,
    stats,
    get fetchStats() {
      return ds.location.stats;
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
export async function makeBatchReader(store: string | URL | StoreLocation, options: ReaderOptions = {}): Promise<BatchReader> {
  const o = parseReaderOptions('makeBatchReader', options);
  const location = await resolveLocation(store, { fetch: o.fetch, files: o.files, rangeFallback: o.rangeFallback, headers: o.headers }, 'makeBatchReader');
  const ds = await openDataset(location, 'makeBatchReader');
  return createBatchReader(ds, o, 'makeBatchReader');
}
