/**
 * `tfjs-parquet-loader/forecasting`: the worked application on top of the SDK's public API. Price analytics
 * (moving averages, volatility, drawdown), an LSTM forecaster trained with `makeTfDataset` and scored
 * against honest baselines (persistence, moving average), saved models, charts (vega-lite → SVG/PNG, with
 * the optional peers vega, vega-lite and @resvg/resvg-js), and the schemas and CSV layouts of the
 * CoinGecko and exchange price files.
 */

export * from './portable.js';

// Price files
export { detectPriceCsvLayout, importPriceCsv } from './price-csv.js';
export type { ImportPriceCsvResult, PriceCsvLayout } from './price-csv.js';

// Terminal progress and saved models
export { trainingProgress } from './forecast/progress.js';
export type { ProgressStream } from './forecast/progress.js';
export { saveForecaster, saveForecasterVersion, loadForecaster, currentModelVersion, fileSystemHandler, registerFileRouter } from './forecast/model-io.js';
export { forecastLive } from './forecast/live-forecast.js';
export { trainLive } from './forecast/train-live.js';
export type { TrainLiveOptions, LiveVersion } from './forecast/train-live.js';
export type { LiveForecastOptions, LiveTick, LiveForecast, LiveScore } from './forecast/live-forecast.js';
export type { SavedForecaster } from './forecast/model-io.js';

// Charts as files
export { renderSvg, svgToPng, writeChart } from './plot/render.js';
export type { ChartFiles } from './plot/render.js';
