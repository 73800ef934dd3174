/** The `tfjs-parquet-loader/ingest` entry: CoinGecko client, backfill, fixed-interval collectors (one series; a market of several into a store), CSV and store sinks, a synthetic market. */

// The platform (Node's), installed before the ingest modules run.
import '../platform.js';
export { CoinGeckoClient, COINGECKO_BASE_URLS } from './coingecko-client.js';
export type { CoinGeckoClientOptions, SimplePriceOptions, MarketChartRangeOptions } from './coingecko-client.js';
export { coinGeckoClientFromEnv } from './client-from-env.js';
export { CoinGeckoError } from './coingecko-error.js';
export type { CoinGeckoFailure } from './coingecko-error.js';
export { backfill } from './backfill.js';
export type { BackfillOptions, BackfillProgress, BackfillResult, MarketChartSource } from './backfill.js';
export { collect } from './collector.js';
export type { CollectOptions, CollectResult, TickReport, SimplePriceSource } from './collector.js';
export { CsvRowSink } from './csv-sink.js';
export type { RowSink } from './row-sink.js';
export { CSV_HEADER, formatCsvRow } from './price-row.js';
export type { PriceRow } from './price-row.js';
export type { IngestLogEvent, IngestLogger } from './log.js';
export type { Clock } from './clock.js';
export { storeRowSink } from './store-sink.js';
export type { StoreRowSinkOptions } from './store-sink.js';
// Live: several series into one store, a commit per tick
export { collectMarket } from './market-collector.js';
export type { CollectMarketOptions, CollectMarketResult, MarketTickReport, MarketCallFailure } from './market-collector.js';
export { storeMarketSink, seriesKey } from './market-sink.js';
export type { MarketRow, MarketRowSink, MarketSeries, StoreMarketSinkOptions } from './market-sink.js';
export { SYNTHETIC_COINS, SyntheticMarketChart } from './synthetic-market.js';
export type { SyntheticCoin, SyntheticMarketOptions } from './synthetic-market.js';
