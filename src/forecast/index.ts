// Public surface of the forecast stage; src/index.ts re-exports these by name.
export { movingAverageForecast, persistenceForecast } from './baselines.js';
export { evaluateForecaster, FORECASTERS, type ForecastEvaluation, type ForecasterName } from './evaluate.js';
export { forecastMetrics, type ForecastMetrics } from './metrics.js';
export { fileSystemHandler, loadForecaster, registerFileRouter, saveForecaster, type SavedForecaster } from './model-io.js';
export type { ForecasterConfig, ForecasterOptions } from './options.js';
export { forecastNext, type NextForecast } from './predict.js';
export { forecasterLabel, formatComparison, verdict } from './report.js';
export { trainForecaster, type Forecaster, type TrainProgress, type TrainResult } from './train.js';
export { CandleSchema, detectPriceCsvLayout, importPriceCsv, type ImportPriceCsvResult, type PriceCsvLayout } from './price-csv.js';
