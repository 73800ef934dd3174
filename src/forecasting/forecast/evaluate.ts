import * as tf from '@tensorflow/tfjs';
import { ConfigError, denormalize, makeTfDataset, type NormalizationStats, type ReadOptions, storeWindowSource, type WindowSource } from '../../index.js';
import { movingAverageForecast, persistenceForecast } from './baselines.js';
import { LEVEL_COLUMN, MINUTE_COLUMN, evaluationSource } from './evaluation-source.js';
import { type ForecastMetrics, forecastMetrics } from './metrics.js';
import { type ForecastSource, type Forecaster, openForecastSource, windowOptions } from './train.js';

/** The forecasters compared on the test range. */
export const FORECASTERS = ['lstm', 'persistence', 'movingAverage'] as const;
export type ForecasterName = (typeof FORECASTERS)[number];

/** Forecasts of every forecaster on every test window, aligned, with their errors in price units. */
export interface ForecastEvaluation {
  /** Time of each forecast target (epoch ms; minute resolution). */
  timestamps: Float64Array;
  /** The price that followed each window. */
  actual: Float64Array;
  /** The window's last price (what persistence predicts). */
  last: Float64Array;
  forecasts: Record<ForecasterName, Float64Array>;
  metrics: Record<ForecasterName, ForecastMetrics>;
  /** Points averaged by the moving-average baseline. */
  movingAverageWindow: number;
  /** Lowest MAE, and lowest RMSE (they may differ). */
  best: { mae: ForecasterName; rmse: ForecasterName };
}

function ensureLength(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

/**
 * Scores a forecaster and the two baselines on the held-out test part (the newest `split.test` rows):
 * one `makeTfDataset` pass over the test windows yields the model input, the window's prices and the
 * target; the LSTM's z-scored log return becomes a price (last × e^r, via `denormalize`), persistence
 * repeats the last price, the moving average averages the last `movingAverageWindow` prices.
 *
 * @example
 * const ev = await evaluateForecaster(trained, './out/btc-store');
 * console.log(ev.metrics.lstm.mae, ev.metrics.persistence.mae);
 */
export async function evaluateForecaster(forecaster: Forecaster, source: ForecastSource, options: { movingAverageWindow?: number } & ReadOptions = {}): Promise<ForecastEvaluation> {
  const { config, model, normalization } = forecaster;
  const { movingAverageWindow, ...readOptions } = options;
  const k = movingAverageWindow ?? config.training.movingAverageWindow;
  const opened = await openForecastSource(source, readOptions);
  const windows: WindowSource = 'open' in opened.source ? opened.source : await storeWindowSource(opened.source, opened.read);
  const src = evaluationSource(windows, config.timestampColumn, config.priceColumn);
  // Untransformed pass-through columns (zeros, not NaN: the options schema wants numbers).
  const none = { method: 'none' as const, logReturn: false, count: 0, mean: 0, std: 1, min: 0, max: 0 };
  const stats: NormalizationStats = { version: 1, columns: { ...normalization.columns, [LEVEL_COLUMN]: none, [MINUTE_COLUMN]: none } };
  const base = windowOptions(config);
  const W = config.windowSize;
  const ds = await makeTfDataset(src, {
    ...base,
    features: [config.priceColumn, LEVEL_COLUMN],
    targets: [LEVEL_COLUMN, MINUTE_COLUMN],
    subset: 'test',
    normalization: stats,
    batchSize: 512,
  });
  if (ds.windowsPerEpoch === 0) throw new ConfigError(`evaluateForecaster: the test part holds no complete window of ${W + 2} rows; use more rows or a larger split.test`);
  let n = 0;
  let minutes = new Float64Array(ds.windowsPerEpoch);
  let actual = new Float64Array(ds.windowsPerEpoch);
  let lstm = new Float64Array(ds.windowsPerEpoch);
  let levels = new Float64Array(ds.windowsPerEpoch * W);
  await ds.forEachAsync(({ xs, ys }) => {
    const b = xs.shape[0];
    const [x, level] = tf.split(xs, 2, 2);
    const pred = model.predict(x) as tf.Tensor;
    const r = denormalize(normalization, config.priceColumn, pred.dataSync());
    const lv = level!.dataSync();
    const y = ys.dataSync();
    tf.dispose([xs, ys, x!, level!, pred]);
    minutes = ensureLength(minutes, n + b);
    actual = ensureLength(actual, n + b);
    lstm = ensureLength(lstm, n + b);
    levels = ensureLength(levels, (n + b) * W);
    for (let i = 0; i < b; i++) {
      actual[n + i] = y[i * 2]!;
      minutes[n + i] = y[i * 2 + 1]!;
      lstm[n + i] = lv[i * W + W - 1]! * Math.exp(r[i]!);
    }
    levels.set(lv, n * W);
    n += b;
  });
  const origin = src.origin();
  const timestamps = new Float64Array(n);
  for (let i = 0; i < n; i++) timestamps[i] = origin + minutes[i]! * 60_000;
  const lv = levels.subarray(0, n * W);
  const forecasts: Record<ForecasterName, Float64Array> = {
    lstm: lstm.slice(0, n),
    persistence: persistenceForecast(lv, W),
    movingAverage: movingAverageForecast(lv, W, k),
  };
  const act = actual.slice(0, n);
  const metrics = Object.fromEntries(FORECASTERS.map((f) => [f, forecastMetrics(act, forecasts[f])])) as Record<ForecasterName, ForecastMetrics>;
  const lowest = (m: keyof ForecastMetrics) => FORECASTERS.reduce((a, b) => (metrics[b][m] < metrics[a][m] ? b : a));
  return { timestamps, actual: act, last: forecasts.persistence, forecasts, metrics, movingAverageWindow: k, best: { mae: lowest('mae'), rmse: lowest('rmse') } };
}
