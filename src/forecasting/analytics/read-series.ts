import { type Column, ConfigError, type ReadOptions, type Store, type StoreRef, storeWindowSource, type WindowSource } from '../../index.js';

/** A price series in time order, as typed arrays. */
export interface PriceSeries {
  /** Epoch milliseconds. */
  timestamps: Float64Array;
  /** Prices (NaN where null). */
  prices: Float64Array;
}

/** Which columns hold time and price. */
export interface PriceColumns {
  /** Default 'timestamp'. */
  timestampColumn?: string;
  /** Default 'price_usd'. */
  priceColumn?: string;
}

function append(target: Float64Array<ArrayBuffer>, at: number, col: Column | undefined, name: string, fn: string): Float64Array<ArrayBuffer> {
  if (!col || !ArrayBuffer.isView(col)) throw new ConfigError(`${fn}: column "${name}" did not arrive as a numeric typed array; received ${col === undefined ? 'no column' : 'a JS array'}`);
  const values = col as ArrayLike<number> & { length: number };
  let out = target;
  if (at + values.length > out.length) {
    out = new Float64Array(Math.max(out.length * 2, at + values.length));
    out.set(target.subarray(0, at));
  }
  for (let i = 0; i < values.length; i++) out[at + i] = Number(values[i]);
  return out;
}

/** Whether `x` is a `WindowSource` (rather than a store reference or an opened store). */
export function isWindowSource(x: unknown): x is WindowSource {
  return typeof x === 'object' && x !== null && Array.isArray((x as WindowSource).columns) && typeof (x as WindowSource).open === 'function';
}

/**
 * Reads the time and price columns of a store (or any `WindowSource`) batch by batch into two
 * Float64Arrays: the analytics and the forecaster's baselines run on these. A store is read with the
 * SDK's read options (`headers`, `filters`, `workers`, ...), forwarded unchanged.
 *
 * @example
 * const { timestamps, prices } = await readPriceSeries('./out/btc-store');
 */
export async function readPriceSeries(store: StoreRef | Store | WindowSource, columns: PriceColumns = {}, read: Omit<ReadOptions, 'shardIndex' | 'shardCount'> = {}): Promise<PriceSeries> {
  const fn = 'readPriceSeries';
  const ts = columns.timestampColumn ?? 'timestamp';
  const price = columns.priceColumn ?? 'price_usd';
  const source = isWindowSource(store) ? store : await storeWindowSource(store, read);
  for (const c of [ts, price]) {
    if (!source.columns.includes(c)) throw new ConfigError(`${fn}: column "${c}" is not in the store; available: ${source.columns.join(', ')}`);
  }
  let timestamps = new Float64Array(source.numRows ?? 1024);
  let prices = new Float64Array(source.numRows ?? 1024);
  let n = 0;
  for await (const batch of source.open([ts, price])) {
    timestamps = append(timestamps, n, batch.columns[ts], ts, fn);
    prices = append(prices, n, batch.columns[price], price, fn);
    n += batch.numRows;
  }
  return { timestamps: timestamps.subarray(0, n), prices: prices.subarray(0, n) };
}
