import { z } from 'zod';
import { intAtLeast } from '../windowing/zod-config.js';

const fraction = z.number({ error: 'must be a fraction in (0, 1)' }).gt(0, { error: 'must be a fraction in (0, 1)' }).lt(1, { error: 'must be a fraction in (0, 1)' });

/** Zod schema of `ForecasterOptions`; see there for the defaults. */
export const forecasterOptionsSchema = z.strictObject({
  timestampColumn: z.string().min(1).default('timestamp'),
  priceColumn: z.string().min(1).default('price_usd'),
  windowSize: intAtLeast(2).default(48),
  units: intAtLeast(1).default(32),
  epochs: intAtLeast(1).default(5),
  batchSize: intAtLeast(1).default(64),
  learningRate: z.number({ error: 'must be a number > 0' }).gt(0, { error: 'must be a number > 0' }).default(0.003),
  split: z.strictObject({ train: fraction, validation: fraction, test: fraction }).default({ train: 0.7, validation: 0.15, test: 0.15 }),
  maxGap: z.number({ error: 'must be a number of milliseconds > 0' }).gt(0, { error: 'must be a number of milliseconds > 0' }).optional(),
  movingAverageWindow: intAtLeast(1).optional(),
  seed: z.number().int({ error: 'must be an integer in [0, 2^32)' }).min(0).max(4294967295).default(42),
});

export type ResolvedForecasterOptions = z.output<typeof forecasterOptionsSchema>;

/**
 * How the LSTM forecaster is trained and evaluated. The model sees `windowSize` z-scored hourly log
 * returns of `priceColumn` and predicts the next one; forecasts are turned back into prices
 * (last price × e^return) so every metric is in price units.
 */
export interface ForecasterOptions {
  /** Epoch-ms time column. Default 'timestamp'. */
  timestampColumn?: string;
  /** Price column. Default 'price_usd'. */
  priceColumn?: string;
  /** Past steps the model sees. Default 48. */
  windowSize?: number;
  /** LSTM units. Default 32. */
  units?: number;
  /** Training epochs. Default 5. */
  epochs?: number;
  /** Windows per batch. Default 64. */
  batchSize?: number;
  /** Adam learning rate. Default 0.003. */
  learningRate?: number;
  /**
   * Consecutive fractions of the rows, oldest first: train, then validation, then test (the held-out
   * range every forecaster is scored on). Must sum to at most 1. Default { train: 0.7, validation: 0.15, test: 0.15 }.
   */
  split?: { train: number; validation: number; test: number };
  /** Largest time step (ms) allowed inside a window; windows over a larger gap are dropped. Default: no limit. */
  maxGap?: number;
  /** Points averaged by the moving-average baseline (<= windowSize). Default min(24, windowSize). */
  movingAverageWindow?: number;
  /** Seed of weight initialisation and shuffling. Default 42. */
  seed?: number;
}

/** What is saved next to a model so `loadForecaster` can rebuild inputs exactly as in training. */
export interface ForecasterConfig {
  version: 1;
  timestampColumn: string;
  priceColumn: string;
  windowSize: number;
  units: number;
  maxGap: number | null;
  /** Options the model was trained with (for the record). */
  training: { epochs: number; batchSize: number; learningRate: number; split: { train: number; validation: number; test: number }; seed: number; movingAverageWindow: number };
}
