import { ConfigError } from '../errors.js';
import type { Column, ColumnBatch } from '../schema/columns.js';
import { createBatchReader } from './batch-reader.js';
import { openDataset } from './open-dataset.js';
import { parseReaderOptions } from './reader-options.js';
import { resolveLocation, type StoreLocation } from './store-location.js';

/** Options of `storeWindowSource`. */
export interface StoreWindowSourceOptions {
  /** Decode threads; 0 decodes on the calling thread. Default: cores − 1, between 1 and 4. */
  workers?: number;
  /** Row groups in flight. Default: 2 × max(1, workers). */
  prefetch?: number;
}

/** What the windowing stage reads from a store (the shape of its `WindowSource`). */
export interface StoreWindowSource {
  /** Numeric columns, in store order. */
  readonly columns: string[];
  readonly numRows: number;
  /** Rows from the first row group, in store (time) order, one epoch; only `columns`, as Float32Array/Float64Array. */
  open(columns: readonly string[]): AsyncIterable<ColumnBatch>;
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

/**
 * A store as the windowing stage's source: footers are read once here; every `open()` streams the requested
 * columns from the first row group in store order, with its own decode workers, released when the loop ends.
 *
 * @example
 * const src = await storeWindowSource('./btc-store', { workers: 1 });
 * for await (const b of src.open(['timestamp', 'price_usd'])) console.log(b.numRows);
 */
export async function storeWindowSource(url: string | StoreLocation, options: StoreWindowSourceOptions = {}): Promise<StoreWindowSource> {
  const caller = 'storeWindowSource';
  const o = parseReaderOptions(caller, { workers: options.workers, prefetch: options.prefetch });
  const ds = await openDataset(await resolveLocation(url, {}, caller), caller);
  const columns = ds.fields.filter((f) => f.codec === 'scalar' && NUMERIC.has(f.dtype)).map((f) => f.name);
  return {
    columns,
    numRows: ds.numRows,
    async *open(requested) {
      const bad = requested.find((c) => !columns.includes(c));
      if (bad !== undefined) throw new ConfigError(`${caller}: column ${JSON.stringify(bad)} is not a numeric column of ${ds.url}; numeric columns: ${columns.join(', ')}`);
      const reader = createBatchReader(ds, { ...o, columns: [...requested] }, caller);
      for await (const b of reader) {
        const out: Record<string, Column> = {};
        for (const c of requested) out[c] = asFloat(b.columns[c]!);
        yield { numRows: b.numRows, columns: out };
      }
    },
  };
}
