import { ConfigError } from '../errors.js';
import { affineOf, type NormalizationStats } from './normalize.js';
import type { FollowConfig, SeriesScaling } from './follow-windows.js';
import type { WindowPlanOptions } from './dataset-plan.js';
import { SeriesKeys } from './series-keys.js';
import type { SplitPlan } from './split.js';
import { windowGeometry } from './window-plan.js';

/** Window options a follow cannot honour, and why (checked before any I/O). */
export function checkFollowRules(fn: string, o: WindowPlanOptions, split: SplitPlan, raw: Record<string, unknown>): void {
  const refuse = (option: string, why: string) => {
    throw new ConfigError(`${fn}: ${option} does not apply with follow: ${why}`);
  };
  if (!o.timestampColumn) throw new ConfigError(`${fn}: follow needs timestampColumn: a row is new when it is newer than its series' newest row taken`);
  if (o.shuffle) refuse('shuffle', 'a followed store is read in time order, commit after commit');
  if (o.sample === 'balanced') refuse("sample: 'balanced'", 'the windows of a series are not known ahead');
  if (o.shardCount > 1) refuse('shardCount', 'shards divide windows known ahead; follow one store per process');
  if (split.kind === 'fraction') refuse('a split by fractions', 'the fractions of a growing store move; split by time ranges instead');
  if (split.kind === 'walkForward') refuse('walkForward', 'its test periods are at the end of the data, which a followed store keeps moving');
  if (o.inputs?.static?.length) refuse('inputs.static', 'static values are read in a first pass over every series');
  if (o.dropRemainder) refuse('dropRemainder', 'each commit ends its last batch, full or not');
  if (raw.resumeFrom !== undefined && o.resumeFrom && !('kind' in o.resumeFrom)) refuse('resumeFrom', "this state is an epoch's (from a dataset without follow); pass the state() of a following dataset");
}

/**
 * The config of `FollowWindows` for parsed options and the statistics it scales with: per series its own
 * train statistics (`normalizeBy: 'series'`), or the global ones.
 */
export function followConfigOf(fn: string, o: WindowPlanOptions, split: SplitPlan, normalization: NormalizationStats, keys: SeriesKeys | null): FollowConfig {
  const used = [...new Set([...o.features, ...o.targets])];
  const logReturn = new Set(o.logReturns);
  const by = o.normalizeBy ?? normalization.by ?? (keys ? 'series' : 'global');
  const scalingOf = (stats: Record<string, NormalizationStats['columns'][string]> | undefined): SeriesScaling | null => {
    const offset = new Float64Array(used.length);
    const scale = new Float64Array(used.length).fill(1);
    for (let k = 0; k < used.length; k++) {
      const st = stats?.[used[k]!];
      if (!st) return null;
      const a = affineOf(st);
      offset[k] = a.offset;
      scale[k] = a.scale;
    }
    return { offset, scale };
  };
  const global = scalingOf(normalization.columns);
  const part = split.kind === 'time' ? (split.ranges[o.subset] ?? { from: Infinity, to: Infinity }) : { from: -Infinity, to: Infinity };
  return {
    fn,
    geom: windowGeometry({ windowSize: o.windowSize, horizon: o.horizon, samplingRate: o.samplingRate, stride: o.stride, lead: o.logReturns.length > 0 ? 1 : 0 }),
    columns: used,
    logReturn: Uint8Array.from(used, (c) => (logReturn.has(c) ? 1 : 0)),
    featureIdx: Int32Array.from(o.features, (c) => used.indexOf(c)),
    targetIdx: Int32Array.from(o.targets, (c) => used.indexOf(c)),
    timestampColumn: o.timestampColumn!,
    maxGap: o.maxGap,
    part,
    keys,
    scaling: (s) => (by === 'series' && keys ? scalingOf(normalization.series?.[keys.keys[s]!]) : global),
    extras: { series: o.inputs?.series ?? false, calendar: o.inputs?.calendar ?? false },
  };
}

/** Series numbering of a follow: the given order, then order of first appearance. */
export function followKeys(fn: string, o: WindowPlanOptions): SeriesKeys | null {
  if (o.seriesColumns.length === 0) return null;
  const keys = new SeriesKeys(o.seriesColumns, fn);
  if (o.seriesOrder) keys.preset(o.seriesOrder);
  return keys;
}
