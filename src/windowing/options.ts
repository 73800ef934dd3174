import { z } from 'zod';
import type { NormalizationStats, NormalizeMethod } from './normalize.js';
import type { SplitSpec } from './split.js';
import { intAtLeast } from './zod-config.js';

const columnList = z.array(z.string().min(1), { error: 'must be an array of column names' });
const method = z.enum(['zscore', 'minmax', 'none'], { error: 'must be "zscore", "minmax" or "none"' });
const timeLike = z.union([z.number(), z.date(), z.string()], { error: 'must be epoch milliseconds, a Date or an ISO date string' });
const timeRange = z.strictObject({ from: timeLike.optional(), to: timeLike.optional() });
const part = z.union([z.number().gt(0).lte(1), timeRange], { error: 'must be a fraction in (0, 1] or a time range { from?, to? }' });

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
  seed: z.number().int().min(0).max(4294967295),
});

/**
 * Options of `makeTfDataset`. The TSDoc of `MakeTfDatasetOptions` documents every field and default.
 */
export const makeTfDatasetSchema = z.strictObject({
  features: columnList.min(1, { error: 'must name at least one column' }),
  targets: columnList.min(1, { error: 'must name at least one column' }),
  windowSize: intAtLeast(1),
  horizon: intAtLeast(1).default(1),
  stride: intAtLeast(1).default(1),
  samplingRate: intAtLeast(1).default(1),
  timestampColumn: z.string({ error: 'must be a column name' }).min(1).optional(),
  maxGap: z.number({ error: 'must be a number of milliseconds > 0' }).gt(0, { error: 'must be a number of milliseconds > 0' }).optional(),
  split: z
    .strictObject({ train: part, validation: part.optional(), test: part.optional() }, { error: 'must be { train, validation?, test? }' })
    .optional(),
  subset: z.enum(['train', 'validation', 'test'], { error: 'must be "train", "validation" or "test"' }).default('train'),
  normalize: z.union([method, z.record(z.string(), method)], { error: 'must be "zscore", "minmax", "none" or { column: method }' }).default('none'),
  logReturns: columnList.default([]),
  normalization: normalizationStatsSchema.optional(),
  batchSize: intAtLeast(1).default(32),
  shuffle: z.boolean({ error: 'must be true or false' }).default(false),
  shuffleBufferSize: intAtLeast(1).default(1024),
  seed: z.number().int({ error: 'must be an integer in [0, 2^32)' }).min(0, { error: 'must be an integer in [0, 2^32)' }).max(4294967295, { error: 'must be an integer in [0, 2^32)' }).optional(),
  dropRemainder: z.boolean({ error: 'must be true or false' }).default(false),
  resumeFrom: datasetStateSchema.optional(),
});

/** `makeTfDataset` options after defaults are applied. */
export type ResolvedOptions = z.output<typeof makeTfDatasetSchema>;

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
 * Options of `makeTfDataset`. Window k of a batch has inputs at rows s, s+r, ..., s+(windowSize−1)·r and
 * targets at the next `horizon` samples s+windowSize·r, ..., s+(windowSize−1+horizon)·r (r = samplingRate).
 */
export interface MakeTfDatasetOptions {
  /** Columns of `xs`, in this order (last axis of `[batch, windowSize, features.length]`). Required. */
  features: string[];
  /** Columns of `ys`, in this order. Required. */
  targets: string[];
  /** Time steps per input window. Required, integer >= 1. */
  windowSize: number;
  /**
   * Steps predicted, 1..H samples after the window's last step. Default 1. `ys` is `[batch, targets.length]`
   * for horizon 1 and `[batch, horizon, targets.length]` for horizon > 1.
   */
  horizon?: number;
  /** Rows between the starts of consecutive windows. Default 1. */
  stride?: number;
  /** Rows between consecutive steps inside a window (and between targets). Default 1. */
  samplingRate?: number;
  /** Epoch-ms timestamp column; needed by `maxGap` and time-range splits. Default: none. */
  timestampColumn?: string;
  /**
   * Largest allowed difference (ms) between consecutive timestamps inside a window, from its first input
   * row to its last target row (Petastorm's NGram `delta_threshold`). Default: no limit.
   */
  maxGap?: number;
  /**
   * Cuts the rows into train/validation/test, by fractions of the rows (consecutive, in that order) or by
   * time ranges `{ from?, to? }` (from inclusive, to exclusive). No window crosses a part's boundary.
   * Default: no split (everything is `train`).
   */
  split?: SplitSpec;
  /** Which split part this dataset yields. Default `'train'`. */
  subset?: 'train' | 'validation' | 'test';
  /**
   * Scaling of feature and target columns, one method for all or per column (unlisted columns: `'none'`).
   * Statistics come from the train part only and are exposed as `dataset.normalization`. Default `'none'`.
   */
  normalize?: NormalizeMethod | Record<string, NormalizeMethod>;
  /**
   * Columns replaced by ln(x[t] / x[t−1]) before normalisation (e.g. prices); a window then also needs the
   * row before its first step, inside the same part and gap-free segment. Default `[]`.
   */
  logReturns?: string[];
  /** Statistics to apply instead of computing them (inference: pass the training dataset's `normalization`). */
  normalization?: NormalizationStats;
  /** Windows per batch. Default 32. */
  batchSize?: number;
  /** Shuffle windows with a bounded buffer (time order when false). Default false. */
  shuffle?: boolean;
  /** Windows held by the shuffle buffer. Default 1024. */
  shuffleBufferSize?: number;
  /** Shuffle seed, integer in [0, 2^32). Default: random, recorded in `state()`. */
  seed?: number;
  /** Drop the last batch when it has fewer than `batchSize` windows. Default false. */
  dropRemainder?: boolean;
  /** A `state()` of an earlier dataset with the same options: continue with its next batch. */
  resumeFrom?: DatasetState;
}
