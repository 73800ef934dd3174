import { defineSchema } from './unischema.js';

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
