import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { BalancedSampling, SeriesShare } from './epoch-plan.js';
import { affineOf, type ColumnStats, type NormalizationStats, type NormalizeMethod } from './normalize.js';
import type { windowOptionsShape } from './options.js';
import { SeriesKeys, type SeriesIdValue } from './series-keys.js';
import { factsFromSizes, scanSource, type ScanRequest, type SourceFacts, type TrainRows } from './source-scan.js';
import { fractionRanges, planSplit, type RowRange, type SplitPlan, type Subset, walkForwardRanges } from './split.js';
import type { BatchPlan, ShuffleMode } from './window-batches.js';
import { countBatches, SeriesWindows, shardOrdinals, windowGeometry } from './window-plan.js';
import type { WindowSource } from './window-source.js';

/** Window options after parsing (defaults applied), plus the shard of the read options. */
export type WindowPlanOptions = z.output<z.ZodObject<typeof windowOptionsShape>> & { shardIndex: number; shardCount: number };

/** One series of a dataset: its ids, its rows, and the windows it gives this dataset. */
export interface SeriesSummary {
  ids: SeriesIdValue[];
  rows: number;
  windows: number;
}

/** Everything `makeTfDataset` builds before the first epoch. */
export interface DatasetPlan {
  plan: BatchPlan;
  batches: number;
  windowsPerEpoch: number;
  normalization: NormalizationStats;
  series: SeriesSummary[];
  /** Series numbering (the `series` input): pass as `seriesOrder` to keep it. */
  seriesKeys: SeriesIdValue[][];
}

/** Checks the rules between window options before any I/O; returns the columns used and the split. */
export function checkWindowRules(fn: string, o: WindowPlanOptions, raw: Record<string, unknown>): { used: string[]; methods: Map<string, NormalizeMethod>; split: SplitPlan } {
  for (const key of ['features', 'targets', 'seriesColumns'] as const) {
    const dup = o[key].find((c, i) => o[key].indexOf(c) !== i);
    if (dup !== undefined) throw new ConfigError(`${fn}: ${key} names column "${dup}" twice; list each column once`);
  }
  const used = [...new Set([...o.features, ...o.targets])];
  const clash = o.seriesColumns.find((c) => used.includes(c) || c === o.timestampColumn);
  if (clash !== undefined) throw new ConfigError(`${fn}: "${clash}" is a series column and cannot also be a feature, target or the timestamp`);
  if (o.maxGap !== undefined && !o.timestampColumn) throw new ConfigError(`${fn}: maxGap (${o.maxGap}) needs timestampColumn; received timestampColumn undefined`);
  if (o.inputs?.calendar && !o.timestampColumn) throw new ConfigError(`${fn}: inputs.calendar needs timestampColumn; received timestampColumn undefined`);
  if (o.inputs?.series && o.seriesColumns.length === 0) throw new ConfigError(`${fn}: inputs.series needs seriesColumns: without them every row is one series`);
  if (o.sample === 'balanced' && o.seriesColumns.length === 0) throw new ConfigError(`${fn}: sample 'balanced' needs seriesColumns: it balances windows across series`);
  if (o.windowsPerSeries !== undefined && o.sample !== 'balanced') throw new ConfigError(`${fn}: windowsPerSeries is set but sample is '${o.sample}'; set sample: 'balanced' or drop windowsPerSeries`);
  if (o.shardBy === 'series' && o.seriesColumns.length === 0) throw new ConfigError(`${fn}: shardBy 'series' needs seriesColumns`);
  if (o.normalizeBy !== undefined && o.seriesColumns.length === 0) throw new ConfigError(`${fn}: normalizeBy needs seriesColumns: without them there is one series`);
  if (o.seriesOrder && o.seriesColumns.length === 0) throw new ConfigError(`${fn}: seriesOrder needs seriesColumns`);
  for (const c of o.logReturns) {
    if (!used.includes(c)) throw new ConfigError(`${fn}: logReturns names "${c}", which is neither a feature nor a target; features and targets: ${used.join(', ')}`);
  }
  const methods = new Map<string, NormalizeMethod>();
  for (const c of used) methods.set(c, typeof o.normalize === 'string' ? o.normalize : (o.normalize[c] ?? 'none'));
  if (typeof o.normalize === 'object') {
    for (const c of Object.keys(o.normalize)) {
      if (!used.includes(c)) throw new ConfigError(`${fn}: normalize names "${c}", which is neither a feature nor a target; features and targets: ${used.join(', ')}`);
    }
  }
  if (o.normalization) {
    if (raw.normalize !== undefined) throw new ConfigError(`${fn}: give either normalize or normalization (precomputed statistics carry their method), not both`);
    for (const c of used) {
      const s = o.normalization.columns[c];
      if (!s) throw new ConfigError(`${fn}: normalization has no statistics for column "${c}"; it has: ${Object.keys(o.normalization.columns).join(', ')}`);
      if (s.logReturn !== o.logReturns.includes(c)) throw new ConfigError(`${fn}: normalization of "${c}" has logReturn ${s.logReturn} but logReturns ${o.logReturns.includes(c) ? 'includes' : 'does not include'} it; use the options the statistics were made with`);
      methods.set(c, s.method);
    }
  }
  if (o.resumeFrom && 'seed' in o.resumeFrom && o.seed !== undefined && o.resumeFrom.seed !== o.seed) {
    throw new ConfigError(`${fn}: seed ${o.seed} differs from resumeFrom.seed ${o.resumeFrom.seed}; a resume must keep the seed (omit seed)`);
  }
  const wf = o.walkForward ? { folds: o.walkForward.folds, horizon: o.walkForward.horizon, gap: o.walkForward.gap, fold: o.walkForward.fold, end: o.walkForward.end } : undefined;
  return { used, methods, split: planSplit(fn, o.split, o.subset, o.timestampColumn, wf) };
}

/**
 * Reads what the windows need to know of the source (one or two passes, none when the sizes are known and no
 * option needs one) and plans the dataset: per series its part, gaps, statistics and windows; the shard; the
 * sampling; how epochs read and mix units.
 */
export async function planDataset(fn: string, src: WindowSource, o: WindowPlanOptions, raw: Record<string, unknown>): Promise<DatasetPlan> {
  const { used, methods, split } = checkWindowRules(fn, o, raw);
  const statics = o.inputs?.static ?? [];
  const wanted = [...used, ...o.seriesColumns, ...statics, ...(o.timestampColumn ? [o.timestampColumn] : [])];
  for (const c of wanted) if (!src.columns.includes(c)) throw new ConfigError(`${fn}: column "${c}" is not in the source; available: ${src.columns.join(', ')}`);
  const bySeries = o.seriesColumns.length > 0;
  const normalizeBy = o.normalizeBy ?? (bySeries ? 'series' : 'global');

  const keys = new SeriesKeys(o.seriesColumns, fn);
  if (o.seriesOrder) keys.preset(o.seriesOrder);
  const logReturn = new Set(o.logReturns);
  const columns = used.map((name) => ({ name, method: methods.get(name)!, logReturn: logReturn.has(name) }));
  const needStats = !o.normalization && used.some((c) => methods.get(c) !== 'none');
  const tsNeeded = o.maxGap !== undefined || split.kind === 'time' || split.kind === 'walkForward';
  // A pass that happens anyway also checks that time never goes back inside a series.
  const base: ScanRequest = { fn, seriesColumns: o.seriesColumns, columns, staticColumns: statics, timestampColumn: o.timestampColumn, maxGap: o.maxGap, keys };

  // The passes: a layout pass when sizes or per-series counts are unknown, then (or at once) the statistics.
  let facts: SourceFacts;
  let ranges: (s: number) => Partial<Record<Subset, RowRange>>;
  const needsPass = bySeries || tsNeeded || needStats || statics.length > 0 || src.unitRows === undefined;
  if (split.kind === 'walkForward') {
    const end = split.spec.end ?? Math.max(...(await scanSource(src, base)).series.map((s) => s.lastTimestamp)) + 1;
    const wf = walkForwardRanges(split.spec, end);
    facts = await scanSource(src, { ...base, frozen: true, timeRanges: wf, trainRows: needStats ? { kind: 'time', ...wf.train } : undefined });
    ranges = (s) => facts.series[s]!.ranges;
  } else if (split.kind === 'time' || split.kind === 'none') {
    const trainRows: TrainRows | undefined = needStats ? (split.kind === 'time' ? { kind: 'time', ...(split.ranges.train ?? { from: -Infinity, to: -Infinity }) } : { kind: 'all' }) : undefined;
    facts = needsPass ? await scanSource(src, { ...base, timeRanges: split.kind === 'time' ? split.ranges : undefined, trainRows }) : factsFromSizes(src.unitRows!, columns, keys);
    ranges = split.kind === 'time' ? (s) => facts.series[s]!.ranges : (s) => ({ train: { start: 0, end: facts.series[s]!.rows } });
  } else {
    const fractions = split.fractions;
    if (!bySeries && src.unitRows !== undefined) {
      // One series of known size: the parts are known before reading.
      const rows = src.unitRows.reduce((a, b) => a + b, 0);
      const parts = fractionRanges(fractions, rows);
      facts = needsPass ? await scanSource(src, { ...base, trainRows: needStats ? { kind: 'rows', ranges: () => parts.train } : undefined }) : factsFromSizes(src.unitRows, columns, keys);
    } else {
      facts = await scanSource(src, base);
      if (needStats || statics.length > 0) {
        const counted = facts;
        const parts = counted.series.map((s) => fractionRanges(fractions, s.rows));
        facts = await scanSource(src, { ...base, frozen: true, trainRows: needStats ? { kind: 'rows', ranges: (s) => parts[s]?.train } : undefined });
        if (facts.numRows !== counted.numRows) throw new ConfigError(`${fn}: the source yielded ${facts.numRows} rows, then ${counted.numRows}; it changed between passes`);
      }
    }
    const byRows = facts.series.map((s) => fractionRanges(fractions, s.rows));
    ranges = (s) => byRows[s]!;
  }

  const geom = windowGeometry({ windowSize: o.windowSize, horizon: o.horizon, samplingRate: o.samplingRate, stride: o.stride, lead: o.logReturns.length > 0 ? 1 : 0 });
  const describe = (s: number) => (bySeries ? `series ${keys.keys[s]}` : 'the source');

  // Normalisation: per series (their own train statistics) or global, computed or given.
  const width = used.length;
  const numSeries = facts.series.length;
  const offset = new Float64Array(Math.max(1, numSeries) * width);
  const scale = new Float64Array(Math.max(1, numSeries) * width).fill(1);
  let normalization: NormalizationStats;
  if (o.normalization) normalization = o.normalization;
  else {
    normalization = { version: 1, columns: Object.fromEntries(columns.map((c, k) => [c.name, facts.globalStats[k]!])) };
    if (bySeries) {
      normalization.seriesColumns = [...o.seriesColumns];
      normalization.by = normalizeBy;
      normalization.series = Object.fromEntries(facts.series.map((s, i) => [keys.keys[i]!, Object.fromEntries(columns.map((c, k) => [c.name, s.stats[k]!]))]));
    }
  }

  // Windows per series in this subset, then the shard.
  const windows = facts.series.map((_, s) => {
    const range = ranges(s)[o.subset];
    return range ? new SeriesWindows(geom, range, facts.series[s]!.breaks) : null;
  });
  const shares: (SeriesShare | null)[] = windows.map((w) => (w && w.count > 0 ? { windows: w, lo: 0, hi: w.count } : null));
  const all = shares.reduce((a, sh) => a + (sh ? sh.hi : 0), 0);
  if (o.shardCount > 1) {
    if (o.shardBy === 'series') {
      const owner = seriesShards(shares.map((sh) => (sh ? sh.hi : 0)), o.shardCount, fn);
      shares.forEach((sh, s) => {
        if (sh && owner[s] !== o.shardIndex) shares[s] = null;
      });
    } else {
      const { lo, hi } = shardOrdinals(all, o.shardIndex, o.shardCount);
      let before = 0;
      shares.forEach((sh, s) => {
        if (!sh) return;
        const n = sh.hi;
        sh.lo = Math.min(n, Math.max(0, lo - before));
        sh.hi = Math.min(n, Math.max(0, hi - before));
        if (sh.hi <= sh.lo) shares[s] = null;
        before += n;
      });
    }
    if (!shares.some((sh) => sh)) {
      throw new ConfigError(`${fn}: shard ${o.shardIndex} of ${o.shardCount} holds no window: the ${o.subset} part has ${all} window(s)${o.shardBy === 'series' ? ` in ${windows.filter((w) => w && w.count > 0).length} series` : ''}; use a smaller shardCount`);
    }
  }

  // Scaling of every series that has windows here.
  for (let s = 0; s < numSeries; s++) {
    const statsOf = (c: string): ColumnStats | undefined => {
      if (normalizeBy === 'global' || !bySeries) return normalization.columns[c];
      const own = normalization.series?.[keys.keys[s]!]?.[c];
      return own;
    };
    for (let k = 0; k < width; k++) {
      const c = used[k]!;
      if (!o.normalization && methods.get(c) === 'none') continue; // as is: offset 0, scale 1
      const st = statsOf(c);
      if (!st) {
        if (!shares[s]) continue;
        throw new ConfigError(`${fn}: ${describe(s)} has no statistics for "${c}" in normalization (it was not in the training data); pass normalizeBy: 'global' to scale it with the global statistics`);
      }
      if (needStats && methods.get(c) !== 'none' && st.count === 0 && shares[s]) {
        const train = ranges(s).train;
        const where = train ? `rows ${train.start}..${train.end}` : 'no rows';
        throw new ConfigError(
          bySeries
            ? `${fn}: cannot normalise "${c}" of ${describe(s)}: its train part (${where}) has no values for it; widen the train part, use normalizeBy: 'global', or normalize: 'none'`
            : `${fn}: cannot normalise "${c}": the train part (${where}) has no values for it; widen split.train or use normalize: 'none'`,
        );
      }
      const a = affineOf(st);
      offset[s * width + k] = a.offset;
      scale[s * width + k] = a.scale;
    }
  }

  let balanced: BalancedSampling | null = null;
  const shareCounts = shares.map((sh) => (sh ? sh.hi - sh.lo : 0));
  let windowsPerEpoch = shareCounts.reduce((a, b) => a + b, 0);
  if (o.sample === 'balanced') {
    const withWindows = shareCounts.filter((n) => n > 0).length;
    const perSeries = o.windowsPerSeries ?? Math.max(1, Math.round(windowsPerEpoch / Math.max(1, withWindows)));
    balanced = { perSeries };
    windowsPerEpoch = perSeries * withWindows;
  }
  const staticValues = statics.length ? Float64Array.from({ length: numSeries * statics.length }, (_, i) => facts.series[Math.floor(i / statics.length)]!.statics[i % statics.length]!) : null;
  const shuffle: ShuffleMode = !o.shuffle ? { kind: 'none' } : src.openUnits && src.unitCount !== undefined ? { kind: 'units', units: o.shuffleUnits } : { kind: 'buffer', size: o.shuffleBufferSize };
  const readColumns = [...new Set([...used, ...o.seriesColumns, ...(o.inputs?.calendar ? [o.timestampColumn!] : [])])];
  const plan: BatchPlan = {
    source: src,
    facts,
    assembler: {
      fn,
      geom,
      columns: used,
      logReturn: Uint8Array.from(used, (c) => (logReturn.has(c) ? 1 : 0)),
      offset,
      scale,
      featureIdx: Int32Array.from(o.features, (c) => used.indexOf(c)),
      targetIdx: Int32Array.from(o.targets, (c) => used.indexOf(c)),
      keys: bySeries ? keys : null,
      timestampColumn: o.inputs?.calendar ? o.timestampColumn : undefined,
    },
    shares,
    balanced,
    extras: { series: o.inputs?.series ?? false, statics: staticValues, staticCount: statics.length, calendar: o.inputs?.calendar ?? false },
    readColumns,
    batchSize: o.batchSize,
    dropRemainder: o.dropRemainder,
    shuffle,
  };
  return {
    plan,
    batches: countBatches(windowsPerEpoch, o.batchSize, o.dropRemainder),
    windowsPerEpoch,
    normalization,
    series: facts.series.map((s, i) => ({ ids: bySeries ? keys.values[i]! : [], rows: s.rows, windows: windows[i]?.count ?? 0 })),
    seriesKeys: keys.values.map((v) => [...v]),
  };
}

/** Whole series to shards: largest (by windows) first, each to the shard with the fewest windows so far. */
function seriesShards(counts: readonly number[], shardCount: number, fn: string): Int32Array {
  const order = counts.map((n, s) => s).filter((s) => counts[s]! > 0).sort((a, b) => counts[b]! - counts[a]! || a - b);
  if (order.length < shardCount) throw new ConfigError(`${fn}: shardBy 'series' needs at least one series with windows per shard; ${order.length} series have windows, shardCount is ${shardCount}`);
  const load = new Float64Array(shardCount);
  const owner = new Int32Array(counts.length).fill(-1);
  for (const s of order) {
    let best = 0;
    for (let k = 1; k < shardCount; k++) if (load[k]! < load[best]!) best = k;
    owner[s] = best;
    load[best]! += counts[s]!;
  }
  return owner;
}

