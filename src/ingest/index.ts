/** Public surface of the ingest stage: CoinGecko client, backfill, fixed-interval collector and the CSV sink. */
export { CoinGeckoClient, COINGECKO_BASE_URLS } from './coingecko-client.js';
export type { CoinGeckoClientOptions, SimplePriceOptions, MarketChartRangeOptions } from './coingecko-client.js';
export { CoinGeckoError, parseErrorBody } from './coingecko-error.js';
export type { CoinGeckoFailure } from './coingecko-error.js';
export { backfill, planBackfillChunks, BACKFILL_LEAD_IN_MS } from './backfill.js';
export type { BackfillOptions, BackfillProgress, BackfillResult, MarketChartSource } from './backfill.js';
export { collect } from './collector.js';
export type { CollectOptions, CollectResult, TickReport, SimplePriceSource } from './collector.js';
export { CsvRowSink } from './csv-sink.js';
export type { RowSink } from './row-sink.js';
export { CSV_HEADER, CSV_COLUMNS, formatCsvRow } from './price-row.js';
export type { PriceRow } from './price-row.js';
export { parseMarketChart, derivePriceChange24h } from './market-chart.js';
export { parseSimplePrice } from './simple-price.js';
export { stderrLogger } from './log.js';
export type { IngestLogEvent, IngestLogger } from './log.js';
export { systemClock } from './clock.js';
export type { Clock } from './clock.js';
