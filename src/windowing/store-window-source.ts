import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseOptions } from '../options.js';
import { checkColumns, prunedRowGroups } from '../readers/batch-reader.js';
import { checkReadRules, readOptionsShape, threadsFor } from '../readers/read-options.js';
import type { FilterPredicate } from '../readers/row-filter.js';
import { type ReaderStats, RowGroupLoader } from '../readers/row-group-loader.js';
import { rowGroupStream } from '../readers/row-group-stream.js';
import type { Column } from '../schema/columns.js';
import { openStoreFor, type Store } from '../store/open-store.js';
import type { StoreRef } from '../store/store-location.js';
import type { SourceBatch, WindowSource } from './window-source.js';

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
  /** Numeric columns, in store order. */
  readonly columns: string[];
}

const NUMERIC = new Set(['float32', 'float64', 'timestamp', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'decimal']);

function asFloat(c: Column): Column {
  if (c instanceof Float32Array || c instanceof Float64Array) return c;
  const src = c as ArrayLike<unknown>;
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    out[i] = v === null || v === undefined ? NaN : Number(v);
  }
  return out;
}

/** The index of the last entry of ascending `starts` that is <= `row`. */
function lastAtOrBefore(starts: Float64Array, row: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * A store as a `WindowSource`: every `open()` streams the requested numeric columns in store (time) order,
 * as `Float32Array`/`Float64Array`, through the batch reader (filters, decode threads, HTTP options), with
 * its own decode threads, released when the loop ends. `open(columns, fromRow)` starts at the row group
 * holding `fromRow` without reading the ones before it (with row filters, once a full pass has counted the
 * rows each row group keeps).
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
  const columns = store.fields.filter((f) => f.codec === 'scalar' && NUMERIC.has(f.dtype)).map((f) => f.name);
  const kept = prunedRowGroups(store, { filters });
  const keptRows = kept.reduce((s, rg) => s + rg.numRows, 0);
  // First row of every kept row group (after row filters): known from the footers without filters, else
  // learned by the first complete pass.
  let starts: Float64Array | null = null;
  if (filters.length === 0) {
    starts = new Float64Array(kept.length);
    for (let k = 1; k < kept.length; k++) starts[k] = starts[k - 1]! + kept[k - 1]!.numRows;
  }
  const { workers, prefetch } = threadsFor(o, keptRows);
  return {
    store,
    columns,
    numRows: filters.length === 0 ? keptRows : undefined,
    async *open(requested, fromRow = 0): AsyncGenerator<SourceBatch> {
      const bad = requested.find((c) => !columns.includes(c));
      if (bad !== undefined) throw new ConfigError(`${caller}: column ${JSON.stringify(bad)} is not a numeric column of ${store.url}; numeric columns: ${columns.join(', ')}`);
      const first = starts && fromRow > 0 && kept.length > 0 ? lastAtOrBefore(starts, fromRow) : 0;
      const filterOnly = [...new Set(filters.map(([c]) => c))].filter((c) => !requested.includes(c));
      const stats: ReaderStats = { rowGroupsRead: 0, rowGroupsPruned: 0, rowsDecoded: 0, bytesRead: 0 };
      const loader = new RowGroupLoader(store, [...requested, ...filterOnly], workers, stats);
      const counts = starts === null && first === 0 ? new Float64Array(kept.length) : null;
      let row = first === 0 ? 0 : starts![first]!;
      let k = first;
      let leading = true;
      try {
        for await (const { batch } of rowGroupStream(loader, kept.slice(first)[Symbol.iterator](), prefetch, filters, requested)) {
          if (counts) counts[k] = batch.numRows;
          k++;
          if (batch.numRows === 0) continue;
          const out: Record<string, Column> = {};
          for (const c of requested) out[c] = asFloat(batch.columns[c]!);
          yield leading && row > 0 ? { numRows: batch.numRows, columns: out, startRow: row } : { numRows: batch.numRows, columns: out };
          leading = false;
          row += batch.numRows;
        }
        if (counts && k === kept.length) {
          const s = new Float64Array(kept.length);
          for (let j = 1; j < kept.length; j++) s[j] = s[j - 1]! + counts[j - 1]!;
          starts = s;
        }
      } finally {
        await loader.close();
      }
    },
  };
}
