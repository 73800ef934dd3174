import { ConfigError, describeValue } from '../errors.js';

/** The three parts a series can be cut into; a dataset yields windows of one of them (`subset`). */
export type Subset = 'train' | 'validation' | 'test';
export const SUBSETS: readonly Subset[] = ['train', 'validation', 'test'];

/** Half-open row range [start, end). */
export interface RowRange {
  start: number;
  end: number;
}

/** A time range bound: epoch milliseconds, a Date or an ISO date string. */
export type TimeLike = number | Date | string;

/** `{ from?, to? }`: rows with from <= timestamp < to (an open side is unbounded). */
export interface TimeRange {
  from?: TimeLike;
  to?: TimeLike;
}

/** Each part is a fraction of the rows (consecutive, in the order train, validation, test) or a time range. */
export interface SplitSpec {
  train: number | TimeRange;
  validation?: number | TimeRange;
  test?: number | TimeRange;
}

/** A split with every rule checked and every bound in epoch ms. */
export type SplitPlan =
  | { kind: 'none' }
  | { kind: 'fraction'; fractions: Partial<Record<Subset, number>> }
  | { kind: 'time'; ranges: Partial<Record<Subset, { from: number; to: number }>> }
  | { kind: 'walkForward'; spec: WalkForwardSpec };

/**
 * A walk-forward backtest: the last `folds` × `horizon` ms of the data are cut into `folds` consecutive test
 * periods; fold k trains on everything before its test period minus an embargo of `gap` ms, so no training
 * window's inputs or targets reach test time (or the `gap` before it).
 */
export interface WalkForwardSpec {
  /** Number of (train, test) pairs. */
  folds: number;
  /** Length of each test period, ms. */
  horizon: number;
  /** Embargo between the end of training and the start of testing, ms. Default 0. */
  gap?: number;
  /** Which fold this dataset yields (0 = earliest test period). */
  fold: number;
  /** End of the last test period (exclusive, ms). Default: just after the latest timestamp of the source. */
  end?: number;
}

/** The time ranges of fold `spec.fold` of a walk-forward split whose last test period ends at `end` (exclusive). */
export function walkForwardRanges(spec: WalkForwardSpec, end: number): { train: { from: number; to: number }; test: { from: number; to: number } } {
  const testFrom = end - (spec.folds - spec.fold) * spec.horizon;
  const testTo = testFrom + spec.horizon;
  return { train: { from: -Infinity, to: testFrom - (spec.gap ?? 0) }, test: { from: testFrom, to: testTo } };
}

function toMs(fn: string, where: string, value: TimeLike | undefined, open: number): number {
  if (value === undefined) return open;
  const ms = typeof value === 'number' ? value : value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new ConfigError(`${fn}: ${where} is not a valid time; received ${describeValue(value)}`);
  return ms;
}

/**
 * Checks a split before any I/O: all parts fractions or all time ranges, fractions summing to at most 1,
 * time ranges non-empty and not overlapping, time ranges only with a timestamp column.
 */
export function planSplit(fn: string, spec: SplitSpec | undefined, subset: Subset, timestampColumn: string | undefined, walkForward?: WalkForwardSpec): SplitPlan {
  if (walkForward) {
    if (spec) throw new ConfigError(`${fn}: give either split or walkForward, not both`);
    if (!timestampColumn) throw new ConfigError(`${fn}: walkForward needs timestampColumn; received timestampColumn undefined`);
    if (subset === 'validation') throw new ConfigError(`${fn}: subset is "validation" but a walk-forward split has only "train" and "test" parts`);
    if (walkForward.fold >= walkForward.folds) throw new ConfigError(`${fn}: walkForward.fold must be < walkForward.folds (${walkForward.folds}); received ${walkForward.fold}`);
    return { kind: 'walkForward', spec: walkForward };
  }
  if (!spec) {
    if (subset !== 'train') throw new ConfigError(`${fn}: subset is ${describeValue(subset)} but no split is given; add split: { train, ${subset}, ... }`);
    return { kind: 'none' };
  }
  if (spec[subset] === undefined) throw new ConfigError(`${fn}: subset is ${describeValue(subset)} but split has no ${subset} part; parts given: ${SUBSETS.filter((s) => spec[s] !== undefined).join(', ')}`);
  const present = SUBSETS.filter((s) => spec[s] !== undefined);
  const fractions = present.filter((s) => typeof spec[s] === 'number');
  if (fractions.length === present.length) {
    const sum = fractions.reduce((acc, s) => acc + (spec[s] as number), 0);
    if (sum > 1 + 1e-9) throw new ConfigError(`${fn}: split fractions must sum to at most 1; received ${present.map((s) => `${s}=${spec[s]}`).join(', ')} (sum ${sum})`);
    return { kind: 'fraction', fractions: Object.fromEntries(present.map((s) => [s, spec[s] as number])) };
  }
  if (fractions.length > 0) throw new ConfigError(`${fn}: split mixes fractions (${fractions.join(', ')}) and time ranges; use one kind for every part`);
  if (!timestampColumn) throw new ConfigError(`${fn}: split by time range needs timestampColumn; received timestampColumn undefined`);
  const ranges: Partial<Record<Subset, { from: number; to: number }>> = {};
  for (const s of present) {
    const r = spec[s] as TimeRange;
    const from = toMs(fn, `split.${s}.from`, r.from, -Infinity);
    const to = toMs(fn, `split.${s}.to`, r.to, Infinity);
    if (!(from < to)) throw new ConfigError(`${fn}: split.${s} is empty: from (${from}) must be before to (${to})`);
    for (const other of present) {
      const o = ranges[other];
      if (o && from < o.to && o.from < to) throw new ConfigError(`${fn}: split.${s} [${from}, ${to}) overlaps split.${other} [${o.from}, ${o.to}); split parts must not overlap`);
    }
    ranges[s] = { from, to };
  }
  return { kind: 'time', ranges };
}

/**
 * Row ranges of fraction splits: consecutive parts of floor(fraction × rows) rows; when the fractions
 * sum to 1 the last part takes the rows lost to rounding.
 */
export function fractionRanges(fractions: Partial<Record<Subset, number>>, numRows: number): Partial<Record<Subset, RowRange>> {
  const present = SUBSETS.filter((s) => fractions[s] !== undefined);
  const sum = present.reduce((acc, s) => acc + fractions[s]!, 0);
  const out: Partial<Record<Subset, RowRange>> = {};
  let at = 0;
  present.forEach((s, i) => {
    const last = i === present.length - 1 && sum >= 1 - 1e-9;
    const end = last ? numRows : Math.min(numRows, at + Math.floor(fractions[s]! * numRows));
    out[s] = { start: at, end };
    at = end;
  });
  return out;
}
