import { z } from 'zod';
import { intAtLeast } from '../options.js';

const columnList = z.array(z.string().min(1), { error: 'must be an array of column names' });
const method = z.enum(['zscore', 'minmax', 'none'], { error: 'must be "zscore", "minmax" or "none"' });
const timeLike = z.union([z.number(), z.date(), z.string()], { error: 'must be epoch milliseconds, a Date or an ISO date string' });
const timeRange = z.strictObject({ from: timeLike.optional(), to: timeLike.optional() });
const part = z.union([z.number().gt(0).lte(1), timeRange], { error: 'must be a fraction in (0, 1] or a time range { from?, to? }' });
const seed = z.number().int({ error: 'must be an integer in [0, 2^32)' }).min(0, { error: 'must be an integer in [0, 2^32)' }).max(4294967295, { error: 'must be an integer in [0, 2^32)' });

const columnStats = z.object({
  method,
  logReturn: z.boolean(),
  count: z.number(),
  // NaN (no values) becomes null in JSON; read it back as NaN.
  mean: z.number().nullable().transform((v) => v ?? NaN),
  std: z.number().nullable().transform((v) => v ?? NaN),
  min: z.number().nullable().transform((v) => v ?? NaN),
  max: z.number().nullable().transform((v) => v ?? NaN),
});

/** `NormalizationStats` as JSON gives it back (NaN saved as null): shared by options and saved models. */
export const normalizationStatsSchema = z.object({ version: z.literal(1), columns: z.record(z.string(), columnStats) });

/** Zod schema of `DatasetState`; see `WindowDataset.state()`. */
export const datasetStateSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (a state from this SDK version)' }),
  epoch: intAtLeast(0),
  batchIndex: intAtLeast(0),
  seed,
});

/** Where an interrupted dataset continues: see `WindowDataset.state()`. */
export interface DatasetState {
  version: 1;
  /** Epoch of the next batch (0-based). */
  epoch: number;
  /** Batches of that epoch already delivered. */
  batchIndex: number;
  /** Shuffle seed of the whole run (each epoch reshuffles with a seed derived from it and the epoch). */
  seed: number;
}

/**
 * The windows of `makeTfDataset`. Window k of a batch has inputs at rows s, s+r, ..., s+(windowSize−1)·r and
 * targets at the next `horizon` samples s+windowSize·r, ..., s+(windowSize−1+horizon)·r (r = samplingRate).
 */
export const windowOptionsShape = {
  /** Columns of `xs`, in this order (last axis of `[batch, windowSize, features.length]`). Required. */
  features: columnList.min(1, { error: 'must name at least one column' }),
  /** Columns of `ys`, in this order. Required. */
  targets: columnList.min(1, { error: 'must name at least one column' }),
  /** Time steps per input window. Required, integer >= 1. */
  windowSize: intAtLeast(1),
  /**
   * Steps predicted, 1..H samples after the window's last step. Default 1. `ys` is `[batch, targets.length]`
   * for horizon 1 and `[batch, horizon, targets.length]` for horizon > 1.
   */
  horizon: intAtLeast(1).default(1),
  /** Rows between the starts of consecutive windows. Default 1. */
  stride: intAtLeast(1).default(1),
  /** Rows between consecutive steps inside a window (and between targets). Default 1. */
  samplingRate: intAtLeast(1).default(1),
  /** Epoch-ms timestamp column; needed by `maxGap` and time-range splits. Default: none. */
  timestampColumn: z.string({ error: 'must be a column name' }).min(1).optional(),
  /**
   * Largest allowed difference (ms) between consecutive timestamps inside a window, from its first input
   * row to its last target row (Petastorm's NGram `delta_threshold`). Default: no limit.
   */
  maxGap: z.number({ error: 'must be a number of milliseconds > 0' }).gt(0, { error: 'must be a number of milliseconds > 0' }).optional(),
  /**
   * Cuts the rows into train/validation/test, by fractions of the rows (consecutive, in that order) or by
   * time ranges `{ from?, to? }` (from inclusive, to exclusive). No window crosses a part's boundary.
   * Default: no split (everything is `train`).
   */
  split: z.strictObject({ train: part, validation: part.optional(), test: part.optional() }, { error: 'must be { train, validation?, test? }' }).optional(),
  /** Which split part this dataset yields. Default `'train'`. */
  subset: z.enum(['train', 'validation', 'test']).default('train'),
  /**
   * Scaling of feature and target columns, one method for all or per column (unlisted columns: `'none'`).
   * Statistics come from the train part only and are exposed as `dataset.normalization`. Default `'none'`.
   */
  normalize: z.union([method, z.record(z.string(), method)], { error: 'must be "zscore", "minmax", "none" or { column: method }' }).default('none'),
  /**
   * Columns replaced by ln(x[t] / x[t−1]) before normalisation (e.g. prices); a window then also needs the
   * row before its first step, inside the same part and gap-free segment. Default `[]`.
   */
  logReturns: columnList.default([]),
  /** Statistics to apply instead of computing them (inference: pass the training dataset's `normalization`). */
  normalization: normalizationStatsSchema.optional(),
  /** Windows per batch. Default 32. */
  batchSize: intAtLeast(1).default(32),
  /** Shuffle windows with a bounded buffer (time order when false). Default false. */
  shuffle: z.boolean({ error: 'must be true or false' }).default(false),
  /** Windows held by the shuffle buffer. Default 1024. */
  shuffleBufferSize: intAtLeast(1).default(1024),
  /** Shuffle seed, integer in [0, 2^32). Default: random, recorded in `state()`. */
  seed: seed.optional(),
  /** Drop the last batch when it has fewer than `batchSize` windows. Default false. */
  dropRemainder: z.boolean({ error: 'must be true or false' }).default(false),
  /** A `state()` of an earlier dataset with the same options: continue with its next batch. */
  resumeFrom: datasetStateSchema.optional(),
};
