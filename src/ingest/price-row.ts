/**
 * One observation of one coin, the row every ingest path produces and every sink stores.
 *
 * `price_usd` is the price in the requested `vsCurrency` (the column keeps the seed's name so the CSV and the
 * store share one schema); `price_change_24h` is a percentage, as CoinGecko's `usd_24h_change`.
 *
 * @example
 * const row: PriceRow = { timestamp: Date.UTC(2024, 0, 1), price_usd: 42261.04, market_cap: 8.27e11,
 *   price_change_24h: null, total_volume: 1.43e10 };
 */
export interface PriceRow {
  /** Epoch milliseconds, UTC. */
  timestamp: number;
  price_usd: number;
  market_cap: number;
  /** Percent change against the price 24 hours earlier; null when CoinGecko has none or no earlier point exists. */
  price_change_24h: number | null;
  /** Rolling 24-hour volume; null when the response has none. */
  total_volume: number | null;
}

/** Column names, in file order, of the collector's and backfill's CSV. */
export const CSV_COLUMNS = ['timestamp', 'price_usd', 'market_cap', 'price_change_24h', 'total_volume'] as const;

/** The exact first line of a price CSV (without the newline). */
export const CSV_HEADER = CSV_COLUMNS.join(',');

/**
 * Renders a row as one CSV line without the newline: ISO-8601 UTC timestamp, numbers via `String(n)` (which
 * round-trips every double exactly) and null as an empty field.
 *
 * @example
 * formatCsvRow({ timestamp: 0, price_usd: 1.5, market_cap: 2, price_change_24h: null, total_volume: 3 });
 * // '1970-01-01T00:00:00.000Z,1.5,2,,3'
 */
export function formatCsvRow(row: PriceRow): string {
  const cell = (n: number | null) => (n === null ? '' : String(n));
  return `${new Date(row.timestamp).toISOString()},${cell(row.price_usd)},${cell(row.market_cap)},${cell(row.price_change_24h)},${cell(row.total_volume)}`;
}
