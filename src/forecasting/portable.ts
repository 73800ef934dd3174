/**
 * The part of the forecasting application that runs on every platform: schemas, analytics, training and
 * evaluation against the baselines, next-step forecasts and chart specs. It is
 * `tfjs-parquet-loader/forecasting` in a browser; Node's entry (src/forecasting/index.ts) adds price CSV
 * import, terminal progress bars, saving models to folders and rendering charts to files.
 */


// Schemas
export { BitcoinSchema, CandleSchema, COINGECKO_EXPORT_LAYOUT, MARKET_SERIES_COLUMNS, MarketSchema } from './schemas.js';

// Analytics
export { analyzeSeries, analyzeStore } from './analytics/analyze.js';
export type { AnalyzeOptions, AnalyzeStoreOptions, SeriesAnalysis, SeriesSummary } from './analytics/analyze.js';
export { readPriceSeries } from './analytics/read-series.js';
export type { PriceColumns, PriceSeries } from './analytics/read-series.js';
export { drawdown } from './analytics/drawdown.js';
export type { DrawdownResult } from './analytics/drawdown.js';
export { simpleMovingAverage, exponentialMovingAverage } from './analytics/moving-average.js';
export type { EmaOptions } from './analytics/moving-average.js';
export { logReturns, rollingVolatility, periodsPerYearOf } from './analytics/volatility.js';
export type { RollingVolatilityOptions } from './analytics/volatility.js';

// Forecasting
export { trainForecaster } from './forecast/train.js';
export type { Forecaster, ForecastSource, TrainProgress, TrainResult } from './forecast/train.js';
export type { ForecasterConfig, ForecasterOptions } from './forecast/options.js';
export { evaluateForecaster, FORECASTERS } from './forecast/evaluate.js';
export type { ForecastEvaluation, ForecasterName, SeriesForecastEvaluation } from './forecast/evaluate.js';
export { persistenceForecast, movingAverageForecast } from './forecast/baselines.js';
export { forecastMetrics } from './forecast/metrics.js';
export type { ForecastMetrics } from './forecast/metrics.js';
export { formatComparison, verdict } from './forecast/report.js';
export { forecastNext } from './forecast/predict.js';
export type { ForecastNextOptions, NextForecast } from './forecast/predict.js';
export { forecastSchemaFor } from './forecast/forecast-ledger.js';
export { formatLiveTick } from './forecast/live-report.js';

// Charts
export { priceChartSpec, volatilityChartSpec, forecastChartSpec } from './plot/specs.js';
export type { ChartOptions } from './plot/specs.js';
