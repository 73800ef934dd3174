import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, denormalize, type SeriesIdValue, makeTfDataset, type NormalizationStats, type ReadOptions, storeWindowSource, type WindowSource } from '../../index.js';
import { movingAverageForecast, persistenceForecast } from './baselines.js';
import { DAY_COLUMN, LEVEL_COLUMN, SECOND_COLUMN, evaluationSource, timestampOf } from './evaluation-source.js';
import { type ForecastMetrics, forecastMetrics } from './metrics.js';
import { type ForecastSource, type Forecaster, openForecastSource, windowOptions } from './train.js';

/** The forecasters compared on the test range. */
export const FORECASTERS = ['lstm', 'persistence', 'movingAverage'] as const;
export type ForecasterName = (typeof FORECASTERS)[number];

/** Forecasts of every forecaster on the test windows of one series (or of all together), aligned, with their errors in price units. */
export interface SeriesForecastEvaluation {
  /** The series' ids, one per series column (empty for a store of one series). */
  ids: SeriesIdValue[];
  /** Time of each forecast target (epoch ms; second resolution). */
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

/**
 * The test windows of every series together (metrics pooled in price units: with series of different price
 * levels, read `series`), and `series`, each series on its own test range.
 */
export interface ForecastEvaluation extends SeriesForecastEvaluation {
  /** Per series, in order of first appearance in the store (one entry for a store of one series). */
  series: SeriesForecastEvaluation[];
}

function ensureLength<T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer>>(a: T, n: number): T {
  if (n <= a.length) return a;
  const b = new (a.constructor as { new (n: number): T })(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

/** Metrics and the winner of windows `pick` (indices into the aligned arrays). */
function scored(ids: SeriesIdValue[], pick: Int32Array | null, timestamps: Float64Array, actual: Float64Array, forecasts: Record<ForecasterName, Float64Array>, k: number): SeriesForecastEvaluation {
  const take = (a: Float64Array) => (pick ? Float64Array.from(pick, (i) => a[i]!) : a);
  const act = take(actual);
  const f = Object.fromEntries(FORECASTERS.map((name) => [name, take(forecasts[name])])) as Record<ForecasterName, Float64Array>;
  const metrics = Object.fromEntries(FORECASTERS.map((name) => [name, forecastMetrics(act, f[name])])) as Record<ForecasterName, ForecastMetrics>;
  const lowest = (m: keyof ForecastMetrics) => FORECASTERS.reduce((a, b) => (metrics[b][m] < metrics[a][m] ? b : a));
  return { ids, timestamps: take(timestamps), actual: act, last: f.persistence, forecasts: f, metrics, movingAverageWindow: k, best: { mae: lowest('mae'), rmse: lowest('rmse') } };
}

/**
 * Scores a forecaster and the two baselines on the held-out test part (the newest `split.test` rows of
 * every series): one `makeTfDataset` pass over the test windows yields the model input, the window's prices
 * and the target; the LSTM's z-scored log return becomes a price (last × e^r, via `denormalize` with the
 * series' statistics), persistence repeats the last price, the moving average averages the last
 * `movingAverageWindow` prices.
 *
 * @example
 * const ev = await evaluateForecaster(trained, './out/btc-store');
 * console.log(ev.metrics.lstm.mae, ev.metrics.persistence.mae);
 * for (const s of ev.series) console.log(s.ids, s.best.mae);
 */
export async function evaluateForecaster(forecaster: Forecaster, source: ForecastSource, options: { movingAverageWindow?: number } & ReadOptions = {}): Promise<ForecastEvaluation> {
  const { config, model, normalization } = forecaster;
  const { movingAverageWindow, ...readOptions } = options;
  const k = movingAverageWindow ?? config.training.movingAverageWindow;
  const opened = await openForecastSource(source, readOptions);
  const windows: WindowSource = 'open' in opened.source ? opened.source : await storeWindowSource(opened.source, opened.read);
  const src = evaluationSource(windows, config.timestampColumn, config.priceColumn);
  // Untransformed pass-through columns (zeros, not NaN: the options schema wants numbers), in the global
  // statistics and in every series' own.
  const none = { method: 'none' as const, logReturn: false, count: 0, mean: 0, std: 1, min: 0, max: 0 };
  const passThrough = { [LEVEL_COLUMN]: none, [DAY_COLUMN]: none, [SECOND_COLUMN]: none };
  const stats: NormalizationStats = {
    ...normalization,
    columns: { ...normalization.columns, ...passThrough },
    ...(normalization.series ? { series: Object.fromEntries(Object.entries(normalization.series).map(([key, cols]) => [key, { ...cols, ...passThrough }])) } : {}),
  };
  const base = windowOptions(config);
  const W = config.windowSize;
  const bySeries = (config.seriesColumns?.length ?? 0) > 0;
  const ds = await makeTfDataset(src, {
    ...base,
    features: [config.priceColumn, LEVEL_COLUMN],
    targets: [LEVEL_COLUMN, DAY_COLUMN, SECOND_COLUMN],
    subset: 'test',
    normalization: stats,
    batchSize: 512,
    ...(bySeries ? { inputs: { series: true } } : {}),
  });
  if (ds.windowsPerEpoch === 0) throw new ConfigError(`evaluateForecaster: the test part holds no complete window of ${W + 2} rows; use more rows or a larger split.test`);
  // Per series: the model's output r maps back to a log return as r · a + b (its statistics' affine map).
  const keys: SeriesIdValue[][] = bySeries ? ds.seriesKeys.map((k) => [...k]) : [[]];
  const affine = keys.map((ids) => {
    const [b, one] = denormalize(normalization, config.priceColumn, [0, 1], bySeries ? { series: ids } : {});
    return { a: one! - b!, b: b! };
  });
  let n = 0;
  let times = new Float64Array(ds.windowsPerEpoch);
  let actual = new Float64Array(ds.windowsPerEpoch);
  let lstm = new Float64Array(ds.windowsPerEpoch);
  let seriesOf = new Int32Array(ds.windowsPerEpoch);
  let levels = new Float64Array(ds.windowsPerEpoch * W);
  await ds.forEachAsync(({ xs: input, ys }) => {
    // With series, xs is { window, series }; without, the window itself (every window of series 0).
    const xs: { window: tf.Tensor; series?: tf.Tensor } = input instanceof tf.Tensor ? { window: input } : input;
    const window = xs.window as tf.Tensor3D;
    const b = window.shape[0];
    const [x, level] = tf.split(window, 2, 2);
    const pred = model.predict(x) as tf.Tensor;
    const r = pred.dataSync();
    const lv = level!.dataSync();
    const y = ys.dataSync();
    const s = xs.series ? xs.series.dataSync() : new Int32Array(b);
    tf.dispose([window, ...(xs.series ? [xs.series] : []), ys, x!, level!, pred]);
    times = ensureLength(times, n + b);
    actual = ensureLength(actual, n + b);
    lstm = ensureLength(lstm, n + b);
    seriesOf = ensureLength(seriesOf, n + b);
    levels = ensureLength(levels, (n + b) * W);
    for (let i = 0; i < b; i++) {
      const { a, b: offset } = affine[s[i]!]!;
      actual[n + i] = y[i * 3]!;
      times[n + i] = timestampOf(y[i * 3 + 1]!, y[i * 3 + 2]!);
      lstm[n + i] = lv[i * W + W - 1]! * Math.exp(r[i]! * a + offset);
      seriesOf[n + i] = s[i]!;
    }
    levels.set(lv, n * W);
    n += b;
  });
  const lv = levels.subarray(0, n * W);
  const forecasts: Record<ForecasterName, Float64Array> = {
    lstm: lstm.slice(0, n),
    persistence: persistenceForecast(lv, W),
    movingAverage: movingAverageForecast(lv, W, k),
  };
  const timestamps = times.slice(0, n);
  const act = actual.slice(0, n);
  const all = scored([], null, timestamps, act, forecasts, k);
  const members: number[][] = keys.map(() => []);
  for (let i = 0; i < n; i++) members[seriesOf[i]!]!.push(i);
  const series = bySeries
    ? keys.flatMap((ids, s) => (members[s]!.length ? [scored(ids, Int32Array.from(members[s]!), timestamps, act, forecasts, k)] : []))
    : [all];
  return { ...all, series };
}
