import { type CsvHeaderLayout, defineSchema } from '../index.js';

/**
 * The worked example's schema: one CoinGecko price observation per row.
 * `price_change_24h` and `total_volume` are nullable because `/simple/price` and history endpoints do not
 * always return them.
 */
export const BitcoinSchema = defineSchema('BitcoinSchema', [
  { name: 'timestamp', dtype: 'timestamp' },
  { name: 'price_usd', dtype: 'float32' },
  { name: 'market_cap', dtype: 'float64' },
  { name: 'price_change_24h', dtype: 'float32', nullable: true },
  { name: 'total_volume', dtype: 'float64', nullable: true },
]);

/**
 * Many coins in many quote currencies in one store: one CoinGecko observation per row, keyed by `coin` (the
 * CoinGecko id) and `vs` (the quote currency). `price` is in `vs`. The series columns for `makeTfDataset`
 * are `['coin', 'vs']`; `tfpl backfill --ids bitcoin,ethereum --vs usd,eur --store <dir>` fills it.
 */
export const MarketSchema = defineSchema('MarketSchema', [
  { name: 'coin', dtype: 'string' },
  { name: 'vs', dtype: 'string' },
  { name: 'timestamp', dtype: 'timestamp' },
  { name: 'price', dtype: 'float64' },
  { name: 'market_cap', dtype: 'float64' },
  { name: 'price_change_24h', dtype: 'float32', nullable: true },
  { name: 'total_volume', dtype: 'float64', nullable: true },
]);

/** The series columns of `MarketSchema`. */
export const MARKET_SERIES_COLUMNS = ['coin', 'vs'] as const;

/**
 * Exchange OHLCV candles, for real price files that carry no market cap (BitcoinSchema requires one,
 * and inventing it from an assumed supply would put made-up numbers in a "data" column). `price_usd` is
 * the candle's close, so the forecaster and analytics read it like a CoinGecko price; `volume` is in
 * the base currency (BTC) per candle.
 */
export const CandleSchema = defineSchema('CandleSchema', [
  { name: 'timestamp', dtype: 'timestamp' },
  { name: 'price_usd', dtype: 'float32' },
  { name: 'open', dtype: 'float32' },
  { name: 'high', dtype: 'float32' },
  { name: 'low', dtype: 'float32' },
  { name: 'volume', dtype: 'float64', nullable: true },
]);

/**
 * CoinGecko's website export ("Historical Data → Export"): `snapped_at,price,market_cap,total_volume`, read
 * into a `BitcoinSchema` store (`price_change_24h` is then null).
 *
 * @example
 * await importCsv('btc-usd-max.csv', './btc-store', BitcoinSchema, { layouts: [COINGECKO_EXPORT_LAYOUT] });
 */
export const COINGECKO_EXPORT_LAYOUT: CsvHeaderLayout = {
  name: 'coingecko-export',
  columns: { snapped_at: 'timestamp', price: 'price_usd', market_cap: 'market_cap', total_volume: 'total_volume' },
};
