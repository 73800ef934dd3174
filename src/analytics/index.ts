// Public surface of the analytics stage; src/index.ts re-exports these by name.
export { analyzeSeries, analyzeStore, type AnalyzeOptions, type SeriesAnalysis, type SeriesSummary } from './analyze.js';
export { drawdown, type DrawdownResult } from './drawdown.js';
export { exponentialMovingAverage, simpleMovingAverage, type EmaOptions } from './moving-average.js';
export { readPriceSeries, storeSource, type PriceColumns, type PriceSeries } from './read-series.js';
export { logReturns, periodsPerYearOf, rollingVolatility, MS_PER_YEAR, type RollingVolatilityOptions } from './volatility.js';
