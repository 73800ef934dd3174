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
export const normalizationStatsSchema = z.object({
  version: z.literal(1),
  columns: z.record(z.string(), columnStats),
  seriesColumns: z.array(z.string()).optional(),
  series: z.record(z.string(), z.record(z.string(), columnStats)).optional(),
  by: z.enum(['series', 'global']).optional(),
});

/** Zod schema of `DatasetState`; see `WindowDataset.state()`. */
export const datasetStateSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (a state from this SDK version)' }),
  epoch: intAtLeast(0),
  batchIndex: intAtLeast(0),
  seed,
});

const seriesId = z.union([z.string(), z.number()]);

/** Zod schema of `FollowState`; see `FollowDataset.state()`. */
export const followStateSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (a state from this SDK version)' }),
  kind: z.literal('follow'),
  /** The statistics the follow scales with: those of its start, kept across restarts. */
  normalization: normalizationStatsSchema,
  /** Windows delivered so far. */
  windows: intAtLeast(0),
  /** The commit of the store the follow last read whole, or null. */
  commit: z.string().nullable(),
  series: z.array(
    z.strictObject({
      ids: z.array(seriesId),
      n: intAtLeast(0),
      lastTs: z.number().nullable(),
      segStart: intAtLeast(0),
      partStart: z.number().int().min(-1),
      ended: z.boolean(),
      prevRaw: z.string(),
      rows: z.string(),
      ts: z.string(),
    }),
  ),
});

/** Where a follow goes on after a restart: see `FollowDataset.state()`. */
export type FollowState = z.output<typeof followStateSchema>;

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
  /**
   * Columns that identify a series (e.g. `['coin', 'vs']`; strings or integers). No window, inputs or
   * targets, spans two series; gaps, stride, splits and statistics apply per series. Rows of a series must
   * be in time order; series may follow each other or be interleaved. Default: none (one series).
   */
  seriesColumns: columnList.default([]),
  /** Epoch-ms timestamp column; needed by `maxGap`, time-range splits, walk-forward splits and calendar inputs. Default: none. */
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
  /**
   * A walk-forward backtest instead of `split`: `folds` test periods of `horizon` ms at the end of the data,
   * fold `fold` training on everything before its test period minus an embargo `gap` (ms); `subset` is
   * `'train'` or `'test'`. `end` (ms, exclusive) fixes the end of the last test period; default: just after
   * the latest timestamp.
   */
  walkForward: z
    .strictObject({ folds: intAtLeast(1), horizon: z.number().gt(0), gap: z.number().min(0).default(0), fold: intAtLeast(0), end: z.number().optional() })
    .optional(),
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
  /**
   * With series: scale each series with its own train statistics (`'series'`) or all with the statistics of
   * every series' train part together (`'global'`). Default `'series'` with series columns.
   */
  normalizeBy: z.enum(['series', 'global']).optional(),
  /**
   * Statistics to apply instead of computing them (inference: pass the training dataset's `normalization`).
   * A series without statistics there is a `ConfigError` unless `normalizeBy: 'global'`.
   */
  normalization: normalizationStatsSchema.optional(),
  /**
   * Inputs besides the window: `series` (the series' number, for an embedding layer), `static` (columns
   * constant inside a series), `calendar` (hour of day and day of week of each target step, as sin/cos; needs
   * `timestampColumn`). With any of them, `xs` is `{ window, series?, static?, calendar? }`, one tensor per
   * input. Default: none (`xs` is the window tensor).
   */
  inputs: z.strictObject({ series: z.boolean().default(false), static: columnList.default([]), calendar: z.boolean().default(false) }).optional(),
  /**
   * Series numbering: the `seriesKeys` of an earlier dataset, so the series numbers (and an embedding trained
   * on them) mean the same series; series not listed get numbers after them. Default: order of first appearance.
   */
  seriesOrder: z.array(z.array(z.union([z.string(), z.number()]))).optional(),
  /**
   * `'balanced'`: every series contributes the same number of windows per epoch (`windowsPerSeries`, drawn
   * anew each epoch, with replacement for a series that has fewer); `'all'`: every window once. Default 'all'.
   */
  sample: z.enum(['all', 'balanced']).default('all'),
  /** Windows per series per epoch with `sample: 'balanced'`. Default: the mean over series that have windows. */
  windowsPerSeries: intAtLeast(1).optional(),
  /**
   * How shards (`shardIndex`/`shardCount`) split the work: `'windows'` (equal numbers of windows) or
   * `'series'` (whole series to each shard, balanced by windows). Default 'windows'.
   */
  shardBy: z.enum(['windows', 'series']).default('windows'),
  /** Windows per batch. Default 32. */
  batchSize: intAtLeast(1).default(32),
  /**
   * Shuffle windows, anew each epoch (seeded). A source with units (a store's row groups, `columnsSource`'s
   * chunks) is read unit by unit in a random order and every batch draws from `shuffleUnits` units at once;
   * other sources use a bounded buffer of `shuffleBufferSize` windows. Default false (time order).
   */
  shuffle: z.boolean({ error: 'must be true or false' }).default(false),
  /**
   * Units (row groups) held and drawn from at once by the shuffle; memory grows with it. Units are read so
   * that those held come from as many stretches of the time range, so every batch mixes the whole range.
   * Default 10 (one unit per tenth of the range).
   */
  shuffleUnits: intAtLeast(1).default(10),
  /** Windows held by the shuffle buffer (sources without units). Default 1024. */
  shuffleBufferSize: intAtLeast(1).default(1024),
  /** Shuffle seed, integer in [0, 2^32). Default: random, recorded in `state()`. */
  seed: seed.optional(),
  /** Drop the last batch when it has fewer than `batchSize` windows. Default false. */
  dropRemainder: z.boolean({ error: 'must be true or false' }).default(false),
  /**
   * A `state()` of an earlier dataset with the same options: continue with its next batch (a following
   * dataset's state: with the next window after the ones it delivered).
   */
  resumeFrom: z.union([datasetStateSchema, followStateSchema], { error: 'must be the state() of an earlier dataset' }).optional(),
};
