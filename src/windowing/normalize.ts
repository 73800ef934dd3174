import { ConfigError } from '../errors.js';
import { parseOptions } from '../options.js';
import { normalizationStatsSchema } from './options.js';
import { keyOf, type SeriesIdValue } from './series-keys.js';

/**
 * Per-column normalisation: statistics gathered on the train range only, frozen into a small JSON object
 * (`NormalizationStats`) that the same transform reuses at inference (`normalization` option).
 */

/** How a column is scaled. `zscore`: (x − mean) / std; `minmax`: (x − min) / (max − min); `none`: as is. */
export type NormalizeMethod = 'zscore' | 'minmax' | 'none';

/** Statistics of one column over the train range, after the optional log-return transform. */
export interface ColumnStats {
  method: NormalizeMethod;
  /** True when the column was replaced by ln(x[t] / x[t−1]) before scaling. */
  logReturn: boolean;
  /** Values the statistics were computed on. */
  count: number;
  mean: number;
  /** Population standard deviation (divides by count, like sklearn's StandardScaler). */
  std: number;
  min: number;
  max: number;
}

/**
 * JSON-serialisable statistics of every feature and target column; store it next to the model. With series
 * columns, `series` holds each series' own statistics (keyed by the series' ids as a JSON array, e.g.
 * `["bitcoin","usd"]`) and `by` says which ones scaled the windows.
 */
export interface NormalizationStats {
  version: 1;
  /** Statistics over the train part (of every series together). */
  columns: Record<string, ColumnStats>;
  /** The series id columns, when the dataset had series. */
  seriesColumns?: string[];
  /** Per series (key: JSON array of its ids): statistics over that series' train part. */
  series?: Record<string, Record<string, ColumnStats>>;
  /** Which statistics scale the windows: each series' own (`'series'`) or the global ones. Default 'global'. */
  by?: 'series' | 'global';
}

/** Running sums over one column, shifted by its first value so large prices keep float64 precision. */
export class StatsAccumulator {
  count = 0;
  private shift = NaN;
  private sum = 0;
  private sumSq = 0;
  min = Infinity;
  max = -Infinity;

  add(v: number): void {
    if (v !== v) return; // NaN (null) values do not count
    if (this.count === 0) this.shift = v;
    const d = v - this.shift;
    this.sum += d;
    this.sumSq += d * d;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.count++;
  }

  finish(method: NormalizeMethod, logReturn: boolean): ColumnStats {
    const n = this.count;
    const mean = n ? this.shift + this.sum / n : NaN;
    const variance = n ? Math.max(0, this.sumSq / n - (this.sum / n) ** 2) : NaN;
    return { method, logReturn, count: n, mean, std: Math.sqrt(variance), min: n ? this.min : NaN, max: n ? this.max : NaN };
  }
}

/** Offset and scale such that normalised = (x − offset) × scale; a constant column keeps scale 1. */
export function affineOf(stats: ColumnStats): { offset: number; scale: number } {
  if (stats.method === 'zscore') return { offset: stats.mean, scale: stats.std > 0 ? 1 / stats.std : 1 };
  if (stats.method === 'minmax') {
    const range = stats.max - stats.min;
    return { offset: stats.min, scale: range > 0 ? 1 / range : 1 };
  }
  return { offset: 0, scale: 1 };
}

/** Which series' statistics to use, when `stats` holds statistics per series (`by: 'series'`). */
export interface SeriesSelector {
  /** The series' ids, one per series column, as in `dataset.seriesKeys` (e.g. `['bitcoin', 'usd']`). */
  series?: readonly SeriesIdValue[];
}

/** The statistics that scaled `column` (of `series`, when the windows were scaled per series). */
function statsOf(fn: string, stats: NormalizationStats, column: string, { series }: SeriesSelector): ColumnStats {
  const known = () => Object.keys(stats.columns).join(', ');
  if (stats.by !== 'series') {
    const col = stats.columns[column];
    if (!col) throw new ConfigError(`${fn}: column "${column}" is not in the statistics; known: ${known()}`);
    return col;
  }
  if (series === undefined) throw new ConfigError(`${fn}: these statistics are per series (${(stats.seriesColumns ?? []).join(', ')}); pass { series: [ids] } naming the series, as in dataset.seriesKeys`);
  const key = keyOf(series);
  const own = stats.series?.[key];
  if (!own) throw new ConfigError(`${fn}: series ${key} has no statistics (it was not in the training data); known series: ${Object.keys(stats.series ?? {}).join(', ')}`);
  const col = own[column];
  if (!col) throw new ConfigError(`${fn}: column "${column}" is not in the statistics of series ${key}; known: ${Object.keys(own).join(', ')}`);
  return col;
}

/**
 * Maps model outputs back to the column's units (after the log-return transform, when that was on:
 * the result is then a log return, not a price). Statistics per series need the series' ids.
 *
 * @example
 * const stats = dataset.normalization;
 * const close = denormalize(stats, 'close', await prediction.data());
 * const btc = denormalize(stats, 'close', await prediction.data(), { series: ['bitcoin', 'usd'] });
 */
export function denormalize(stats: NormalizationStats, column: string, values: ArrayLike<number>, selector: SeriesSelector = {}): Float64Array {
  const { offset, scale } = affineOf(statsOf('denormalize', stats, column, selector));
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! / scale + offset;
  return out;
}

/**
 * Scales raw values of a column exactly as the dataset that made `stats` did (after the log-return
 * transform, when that was on: pass log returns, not prices): the input side of inference. Statistics per
 * series need the series' ids.
 *
 * @example
 * const input = normalizeValues(savedStats, 'close', latestCloses);
 */
export function normalizeValues(stats: NormalizationStats, column: string, values: ArrayLike<number>, selector: SeriesSelector = {}): Float64Array {
  const { offset, scale } = affineOf(statsOf('normalizeValues', stats, column, selector));
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - offset) * scale;
  return out;
}

/**
 * `NormalizationStats` from parsed JSON (as saved with `JSON.stringify(dataset.normalization)`), checked:
 * NaN, which JSON writes as null, comes back as NaN. `where` leads error messages (e.g. the file name).
 *
 * @example
 * const stats = normalizationFromJSON(JSON.parse(await readFile('normalization.json', 'utf8')));
 */
export function normalizationFromJSON(json: unknown, where = 'normalizationFromJSON'): NormalizationStats {
  return parseOptions(where, normalizationStatsSchema, json);
}
