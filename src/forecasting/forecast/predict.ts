import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { ConfigError, denormalize, normalizeValues, parseOptions, type ReadOptions, type Store, type StoreRef, type WindowSource } from '../../index.js';
import { readPriceSeries } from '../analytics/read-series.js';
import { readOptionsOf, storeReadShape } from '../store-read.js';
import type { Forecaster } from './train.js';

const forecastNextSchema = z.strictObject({
  ...storeReadShape,
  /** Steps ahead; step k > 1 feeds the model its own earlier forecasts. Default 1. */
  steps: z.number().int().min(1).default(1),
});

/** Options of `forecastNext`: how many steps, and how the store is read. */
export type ForecastNextOptions = z.input<typeof forecastNextSchema>;

/** Forecasts after the newest row of a store. */
export interface NextForecast {
  /** Newest row used. */
  lastTimestamp: number;
  lastPrice: number;
  /** Time step between rows (median of the window), used to date the forecasts. */
  stepMs: number;
  /** One entry per step ahead; step k > 1 feeds the model its own earlier forecasts. */
  forecasts: { timestamp: number; price: number; logReturn: number }[];
}

/**
 * Forecasts the next `steps` prices from the latest `windowSize` + 1 rows of a store with a trained (or
 * loaded) forecaster: its log returns are scaled with the saved training statistics, exactly as in
 * training. Steps beyond the first are iterated (each forecast is appended to the window), so their error
 * compounds.
 *
 * @example
 * const f = await loadForecaster('./out/model');
 * const { forecasts } = await forecastNext(f, './out/btc-store', { steps: 3 });
 */
export async function forecastNext(forecaster: Forecaster, store: StoreRef | Store | WindowSource, options: ForecastNextOptions = {}): Promise<NextForecast> {
  const fn = 'forecastNext';
  const { steps } = parseOptions(fn, forecastNextSchema, options);
  const read = readOptionsOf(options);
  const { config, model, normalization } = forecaster;
  const W = config.windowSize;
  const { timestamps, prices } = await readPriceSeries(store, { timestampColumn: config.timestampColumn, priceColumn: config.priceColumn }, read as ReadOptions);
  const n = prices.length;
  if (n < W + 1) throw new ConfigError(`${fn}: the store has ${n} rows; the model needs the latest ${W + 1} (windowSize ${W} + 1 for the first log return)`);
  const returns = new Float64Array(W);
  for (let t = 0; t < W; t++) {
    const a = prices[n - W - 1 + t]!;
    const b = prices[n - W + t]!;
    const r = Math.log(b / a);
    if (!Number.isFinite(r)) throw new ConfigError(`${fn}: price at row ${n - W + t} or the one before it is missing or not positive (${a} → ${b}); the latest window must be complete`);
    returns[t] = r;
  }
  const input = Float32Array.from(normalizeValues(normalization, config.priceColumn, returns));
  const gaps = Array.from({ length: W }, (_, t) => timestamps[n - W + t]! - timestamps[n - W - 1 + t]!).sort((x, y) => x - y);
  const stepMs = gaps[W >> 1]!;
  if (config.maxGap !== null && gaps[W - 1]! > config.maxGap) {
    throw new ConfigError(`${fn}: the latest window has a gap of ${gaps[W - 1]} ms, over the model's maxGap ${config.maxGap}; backfill the missing rows first`);
  }
  let price = prices[n - 1]!;
  let at = timestamps[n - 1]!;
  const forecasts: NextForecast['forecasts'] = [];
  for (let k = 0; k < steps; k++) {
    const pred = tf.tidy(() => (model.predict(tf.tensor3d(input, [1, W, 1])) as tf.Tensor).dataSync());
    const r = denormalize(normalization, config.priceColumn, pred)[0]!;
    price *= Math.exp(r);
    at += stepMs;
    forecasts.push({ timestamp: at, price, logReturn: r });
    input.copyWithin(0, 1);
    input[W - 1] = pred[0]!;
  }
  return { lastTimestamp: timestamps[n - 1]!, lastPrice: prices[n - 1]!, stepMs, forecasts };
}
