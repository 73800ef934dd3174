import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseOptions } from '../options.js';
import { checkColumns, prunedRowGroups } from '../readers/batch-reader.js';
import { checkReadRules, readOptionsShape, threadsFor } from '../readers/read-options.js';
import type { FilterPredicate } from '../readers/row-filter.js';
import { unitsOf } from '../readers/read-unit.js';
import { type ReaderStats, RowGroupLoader } from '../readers/row-group-loader.js';
import { rowGroupStream } from '../readers/row-group-stream.js';
import type { Column } from '../schema/columns.js';
import { openStoreFor, type Store, storeInternals } from '../store/open-store.js';
import type { StoreRef } from '../store/store-location.js';
import type { UnitBatch, WindowSource } from './window-source.js';

const { shardIndex: _shardIndex, shardCount: _shardCount, ...sourceShape } = readOptionsShape;

/**
 * Options of `storeWindowSource`: the read options (I/O, filters, decode threads) without the shards, which
 * `makeTfDataset` applies to windows.
 */
export const storeWindowSourceOptionsSchema: z.ZodObject<typeof sourceShape, z.core.$strict> = z.strictObject(sourceShape);
export type StoreWindowSourceOptions = z.input<typeof storeWindowSourceOptionsSchema>;

/** A store as the windowing stage's source (see `WindowSource`), with the store it reads. */
export interface StoreWindowSource extends WindowSource {
  readonly store: Store;
  /** Scalar columns, in store order: numeric ones (typed arrays as decoded; nullable integers as arrays) and strings (series ids). */
  readonly columns: string[];
  readonly unitCount: number;
  openUnits(columns: readonly string[], units: readonly number[]): AsyncIterable<UnitBatch>;
}

const NUMERIC = new Set(['float32', 'float64', 'timestamp', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'decimal']);

/**
 * A store as a `WindowSource`: streams the requested columns in store order through the batch reader
 * (filters, decode threads, HTTP options), with its own decode threads, released when the loop ends. Its units
 * are the row groups left after pruning: `openUnits` reads any of them in any order (a shard reads only its
 * own, a shuffled epoch reads them in a random order). Numeric columns arrive as decoded (the windowing
 * stage reads any typed array; converting int32 ids to floats would cost a copy per batch), string columns
 * (series ids) as arrays.
 *
 * @example
 * const src = await storeWindowSource('./btc-store', { workers: 1 });
 * for await (const b of src.open(['timestamp', 'price_usd'])) console.log(b.numRows);
 */
export async function storeWindowSource(store: StoreRef | Store, options: StoreWindowSourceOptions = {}): Promise<StoreWindowSource> {
  const caller = 'storeWindowSource';
  const o = parseOptions(caller, storeWindowSourceOptionsSchema, options);
  return windowSourceOf(caller, await openStoreFor(caller, store, o), o);
}

/** The window source of an opened store; `o` already parsed. */
export function windowSourceOf(caller: string, store: Store, o: z.output<typeof storeWindowSourceOptionsSchema>): StoreWindowSource {
  checkReadRules(caller, { ...o, shardIndex: 0, shardCount: 1 });
  const filters = o.filters as FilterPredicate[];
  checkColumns(caller, store, [], { filters });
  const scalar = store.fields.filter((f) => f.codec === 'scalar');
  const numeric = new Set(scalar.filter((f) => NUMERIC.has(f.dtype)).map((f) => f.name));
  const columns = scalar.filter((f) => numeric.has(f.name) || f.dtype === 'string').map((f) => f.name);
  // The units: row groups, or slices of large ones (`maxBatchBytes`), cut by row counts alone so that every
  // pass (the first one over series and time, the epochs over features) sees the same units.
  const kept = unitsOf(prunedRowGroups(store, { filters }), o.maxBatchBytes);
  const keptRows = kept.reduce((s, u) => s + u.numRows, 0);
  const footers = storeInternals(store).footers;
  /** Compressed bytes of `names` in the units read: a pass over a few light columns decodes on the calling thread. */
  const bytesOf = (names: readonly string[], units: readonly number[]): number => {
    const wanted = new Set(names);
    let bytes = 0;
    for (const u of units) {
      const { rowGroup: rg, numRows } = kept[u]!;
      for (const c of footers.get(rg.file)?.row_groups[rg.index]?.columns ?? []) {
        const md = c.meta_data;
        if (md && wanted.has(md.path_in_schema[0]!)) bytes += (Number(md.total_compressed_size) * numRows) / Math.max(1, rg.numRows);
      }
    }
    return bytes;
  };

  async function* read(requested: readonly string[], units: readonly number[]): AsyncGenerator<UnitBatch> {
    const bad = requested.find((c) => !columns.includes(c));
    if (bad !== undefined) throw new ConfigError(`${caller}: column ${JSON.stringify(bad)} is not a scalar numeric or string column of ${store.url}; columns: ${columns.join(', ')}`);
    const filterOnly = [...new Set(filters.map(([c]) => c))].filter((c) => !requested.includes(c));
    const decoded = [...requested, ...filterOnly];
    const { workers, prefetch } = threadsFor(o, keptRows, bytesOf(decoded, units));
    const stats: ReaderStats = { rowGroupsRead: 0, rowGroupsPruned: 0, rowsDecoded: 0, bytesRead: 0 };
    const loader = new RowGroupLoader(store, decoded, workers, stats, { verifyChecksums: o.verifyChecksums, maxBatchBytes: o.maxBatchBytes });
    try {
      for await (const { unit, batch } of rowGroupStream(loader, units.map((u) => kept[u]!)[Symbol.iterator](), { prefetch, readAheadBytes: storeInternals(store).readAheadBytes }, filters, requested)) {
        const out: Record<string, Column> = {};
        for (const c of requested) out[c] = batch.columns[c]!;
        yield { unit: unit.ordinal, batch: { numRows: batch.numRows, columns: out }, release: () => loader.recycle(Object.values(out)) };
      }
    } finally {
      await loader.close();
    }
  }

  const all = kept.map((_, u) => u);
  return {
    store,
    columns,
    numRows: filters.length === 0 ? keptRows : undefined,
    unitCount: kept.length,
    unitRows: filters.length === 0 ? kept.map((u) => u.numRows) : undefined,
    async *open(requested) {
      for await (const { batch } of read(requested, all)) yield batch;
    },
    openUnits: read,
  };
}
