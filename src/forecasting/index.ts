/**
 * `tfjs-parquet-loader/forecasting`: the worked application on top of the SDK's public API. Price analytics
 * (moving averages, volatility, drawdown), an LSTM forecaster trained with `makeTfDataset` and scored
 * against honest baselines (persistence, moving average), saved models, charts (vega-lite → SVG/PNG, with
 * the optional peers vega, vega-lite and @resvg/resvg-js), and the schemas and CSV layouts of the
 * CoinGecko and exchange price files.
 */

// Schemas and price files
export { BitcoinSchema, CandleSchema, COINGECKO_EXPORT_LAYOUT, MARKET_SERIES_COLUMNS, MarketSchema } from './schemas.js';
export { detectPriceCsvLayout, importPriceCsv } from './price-csv.js';
export type { ImportPriceCsvResult, PriceCsvLayout } from './price-csv.js';

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
export { trainingProgress } from './forecast/progress.js';
export type { ProgressStream } from './forecast/progress.js';
export { evaluateForecaster, FORECASTERS } from './forecast/evaluate.js';
export type { ForecastEvaluation, ForecasterName, SeriesForecastEvaluation } from './forecast/evaluate.js';
export { persistenceForecast, movingAverageForecast } from './forecast/baselines.js';
export { forecastMetrics } from './forecast/metrics.js';
export type { ForecastMetrics } from './forecast/metrics.js';
export { formatComparison, verdict } from './forecast/report.js';
export { forecastNext } from './forecast/predict.js';
export type { ForecastNextOptions, NextForecast } from './forecast/predict.js';
export { saveForecaster, loadForecaster, fileSystemHandler, registerFileRouter } from './forecast/model-io.js';
export type { SavedForecaster } from './forecast/model-io.js';

// Charts
export { priceChartSpec, volatilityChartSpec, forecastChartSpec } from './plot/specs.js';
export type { ChartOptions } from './plot/specs.js';
export { renderSvg, svgToPng, writeChart } from './plot/render.js';
export type { ChartFiles } from './plot/render.js';
