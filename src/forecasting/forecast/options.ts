import { z } from 'zod';
import { storeReadShape } from '../store-read.js';

const fraction = z.number({ error: 'must be a fraction in (0, 1)' }).gt(0, { error: 'must be a fraction in (0, 1)' }).lt(1, { error: 'must be a fraction in (0, 1)' });
const int = (min: number) => z.number({ error: `must be an integer >= ${min}` }).int({ error: `must be an integer >= ${min}` }).min(min, { error: `must be an integer >= ${min}` });

/**
 * How the LSTM forecaster is trained and evaluated. The model sees `windowSize` z-scored hourly log
 * returns of `priceColumn` and predicts the next one; forecasts are turned back into prices
 * (last price × e^return) so every metric is in price units. The store is read with the SDK's read options
 * (`headers`, `fetch`, `files`, `rangeFallback`, `filters`, `workers`, `prefetch`).
 */
export const forecasterOptionsShape = {
  ...storeReadShape,
  /** Epoch-ms time column. Default 'timestamp'. */
  timestampColumn: z.string().min(1).default('timestamp'),
  /** Price column. Default 'price_usd'. */
  priceColumn: z.string().min(1).default('price_usd'),
  /**
   * Columns naming the series of a store that holds several (`['coin', 'vs']` for `MarketSchema`): one
   * global model learns from every series' windows, each series' log returns scaled with its own train
   * statistics, and the evaluation scores every series on its own test range. Default: none (one series).
   */
  seriesColumns: z.array(z.string().min(1)).default([]),
  /** Past steps the model sees. Default 48. */
  windowSize: int(2).default(48),
  /** LSTM units. Default 32. */
  units: int(1).default(32),
  /** Training epochs. Default 5. */
  epochs: int(1).default(5),
  /** Windows per batch. Default 64. */
  batchSize: int(1).default(64),
  /** Adam learning rate. Default 0.003. */
  learningRate: z.number({ error: 'must be a number > 0' }).gt(0, { error: 'must be a number > 0' }).default(0.003),
  /**
   * Consecutive fractions of the rows, oldest first: train, then validation, then test (the held-out
   * range every forecaster is scored on). Must sum to at most 1. Default { train: 0.7, validation: 0.15, test: 0.15 }.
   */
  split: z.strictObject({ train: fraction, validation: fraction, test: fraction }).default({ train: 0.7, validation: 0.15, test: 0.15 }),
  /** Largest time step (ms) allowed inside a window; windows over a larger gap are dropped. Default: no limit. */
  maxGap: z.number({ error: 'must be a number of milliseconds > 0' }).gt(0, { error: 'must be a number of milliseconds > 0' }).optional(),
  /** Points averaged by the moving-average baseline (<= windowSize). Default min(24, windowSize). */
  movingAverageWindow: int(1).optional(),
  /** Seed of weight initialisation and shuffling. Default 42. */
  seed: z.number().int({ error: 'must be an integer in [0, 2^32)' }).min(0).max(4294967295).default(42),
};
export const forecasterOptionsSchema: z.ZodObject<typeof forecasterOptionsShape, z.core.$strict> = z.strictObject(forecasterOptionsShape);

/** Options of `trainForecaster`; see `forecasterOptionsShape` for every field and default. */
export type ForecasterOptions = z.input<typeof forecasterOptionsSchema>;
export type ResolvedForecasterOptions = z.output<typeof forecasterOptionsSchema>;

/** What is saved next to a model so `loadForecaster` can rebuild inputs exactly as in training. */
export interface ForecasterConfig {
  version: 1;
  timestampColumn: string;
  priceColumn: string;
  /** Series columns of a store of several series (absent or empty: one series). */
  seriesColumns?: string[];
  windowSize: number;
  units: number;
  maxGap: number | null;
  /** Options the model was trained with (for the record). */
  training: { epochs: number; batchSize: number; learningRate: number; split: { train: number; validation: number; test: number }; seed: number; movingAverageWindow: number };
}
