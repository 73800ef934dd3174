import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfigError, denormalize, normalizeValues, parseOptions, type ReadOptions, type Store, type StoreRef, type WindowSource } from '../../index.js';
import { readPriceSeries } from '../analytics/read-series.js';
import { readOptionsOf, storeReadShape } from '../store-read.js';
import type { Forecaster } from './train.js';

const forecastNextSchema = z.strictObject({
  ...storeReadShape,
  /** Steps ahead; step k > 1 feeds the model its own earlier forecasts. Default 1. */
  steps: z.number().int().min(1).default(1),
  /**
   * The series to forecast, one id per series column (`['bitcoin', 'usd']`), for a forecaster trained with
   * `seriesColumns`: its rows are read and its statistics scale them. Required then; refused otherwise.
   */
  series: z.array(z.union([z.string(), z.number(), z.bigint()])).min(1).optional(),
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
 * const eth = await forecastNext(global, './out/market-store', { series: ['ethereum', 'usd'] });
 */
export async function forecastNext(forecaster: Forecaster, store: StoreRef | Store | WindowSource, options: ForecastNextOptions = {}): Promise<NextForecast> {
  const fn = 'forecastNext';
  const { steps, series } = parseOptions(fn, forecastNextSchema, options);
  const read = readOptionsOf(options) as ReadOptions;
  const { config, model, normalization } = forecaster;
  const W = config.windowSize;
  const seriesColumns = config.seriesColumns ?? [];
  if (seriesColumns.length && series?.length !== seriesColumns.length) {
    const known = Object.keys(normalization.series ?? {}).join(', ');
    throw new ConfigError(`${fn}: the forecaster was trained on several series (${seriesColumns.join(', ')}); pass series: [${seriesColumns.map((c) => `<${c}>`).join(', ')}], one of ${known}`);
  }
  if (series && normalization.by === 'series' && !normalization.series?.[JSON.stringify(series.map((v) => (typeof v === 'bigint' ? String(v) : v)))]) {
    throw new ConfigError(`${fn}: series ${JSON.stringify(series.map(String))} has no statistics in this forecaster (it was not in the training data); known series: ${Object.keys(normalization.series ?? {}).join(', ')}`);
  }
  if (!seriesColumns.length && series) throw new ConfigError(`${fn}: series applies to forecasters trained with seriesColumns; this one was trained on one series`);
  const only = series ? { filters: [...(read.filters ?? []), ...seriesColumns.map((c, k) => [c, '=', series[k]!] as [string, '=', string | number | bigint])] } : {};
  const selector = series ? { series } : {};
  const { timestamps, prices } = await readPriceSeries(store, { timestampColumn: config.timestampColumn, priceColumn: config.priceColumn }, { ...read, ...only });
  const n = prices.length;
  const which = series ? `series ${JSON.stringify(series.map(String))} of the store` : 'the store';
  if (n < W + 1) throw new ConfigError(`${fn}: ${which} has ${n} rows; the model needs the latest ${W + 1} (windowSize ${W} + 1 for the first log return)`);
  const returns = new Float64Array(W);
  for (let t = 0; t < W; t++) {
    const a = prices[n - W - 1 + t]!;
    const b = prices[n - W + t]!;
    const r = Math.log(b / a);
    if (!Number.isFinite(r)) throw new ConfigError(`${fn}: price at row ${n - W + t} or the one before it is missing or not positive (${a} → ${b}); the latest window must be complete`);
    returns[t] = r;
  }
  const input = Float32Array.from(normalizeValues(normalization, config.priceColumn, returns, selector));
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
    const r = denormalize(normalization, config.priceColumn, pred, selector)[0]!;
    price *= Math.exp(r);
    at += stepMs;
    forecasts.push({ timestamp: at, price, logReturn: r });
    input.copyWithin(0, 1);
    input[W - 1] = pred[0]!;
  }
  return { lastTimestamp: timestamps[n - 1]!, lastPrice: prices[n - 1]!, stepMs, forecasts };
}
