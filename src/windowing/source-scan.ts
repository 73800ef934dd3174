import { TfplError } from '../errors.js';
import { numberColumn, type NumberColumn } from './column-access.js';
import { StatsAccumulator, type NormalizationStats, type NormalizeMethod } from './normalize.js';
import { fractionRanges, SUBSETS, type RowRange, type SplitPlan, type Subset } from './split.js';
import type { WindowSource } from './window-source.js';

/** What the first pass must find out. */
export interface ScanRequest {
  fn: string;
  /** Feature and target columns, each once, with how it is normalised and whether it becomes a log return. */
  columns: readonly { name: string; method: NormalizeMethod; logReturn: boolean }[];
  timestampColumn?: string;
  maxGap?: number;
  split: SplitPlan;
}

/** Facts of one pass over the source; computed once per dataset, they fix `size` and the statistics. */
export interface SourceFacts {
  numRows: number;
  /** Rows that start a new gap-free segment (row 0 excluded), ascending. */
  breaks: number[];
  /** Row range of every split part (the whole series as `train` when there is no split). */
  ranges: Partial<Record<Subset, RowRange>>;
  /** Statistics of every feature/target column over the train range. */
  normalization: NormalizationStats;
  firstTimestamp?: number;
  lastTimestamp?: number;
}

async function countRows(source: WindowSource, column: string): Promise<number> {
  let n = 0;
  for await (const batch of source.open([column])) n += batch.numRows;
  return n;
}

/**
 * First pass: row count, gap breaks, split row ranges and train-range statistics, on typed arrays only.
 * A fraction split over a source that does not know its row count costs one extra counting pass.
 */
export async function scanSource(source: WindowSource, req: ScanRequest): Promise<SourceFacts> {
  const { fn, columns, timestampColumn: tsName, maxGap, split } = req;
  let trainRows: RowRange | undefined;
  if (split.kind === 'none') trainRows = { start: 0, end: Infinity };
  else if (split.kind === 'fraction') {
    const total = source.numRows ?? (await countRows(source, columns[0]!.name));
    trainRows = fractionRanges(split.fractions, total).train!;
  }
  const trainTime = split.kind === 'time' ? split.ranges.train! : undefined;
  const timeBounds = split.kind === 'time' ? SUBSETS.filter((s) => split.ranges[s]).map((s) => [s, split.ranges[s]!] as const) : [];
  const below = timeBounds.map(() => ({ from: 0, to: 0 })); // rows with timestamp < from / < to

  const accs = columns.map(() => new StatsAccumulator());
  const prev = new Float64Array(columns.length);
  const breaks: number[] = [];
  const wanted = [...columns.map((c) => c.name), ...(tsName && !columns.some((c) => c.name === tsName) ? [tsName] : [])];
  let g = 0;
  let prevTs = NaN;
  let firstTs: number | undefined;
  let prevInTrain = false;
  const cols: NumberColumn[] = new Array(columns.length);

  for await (const batch of source.open(wanted)) {
    const n = batch.numRows;
    for (let c = 0; c < columns.length; c++) cols[c] = numberColumn(fn, columns[c]!.name, batch.columns[columns[c]!.name], n);
    const ts = tsName ? numberColumn(fn, tsName, batch.columns[tsName], n) : undefined;
    for (let i = 0; i < n; i++, g++) {
      let isBreak = g === 0;
      let inTrain: boolean;
      if (ts) {
        const t = ts[i]!;
        if (t !== t) throw new TfplError('ERR_WINDOW_SOURCE', `${fn}: timestamp column "${tsName}" is null at row ${g}; windows need a timestamp on every row`);
        if (g === 0) firstTs = t;
        else {
          const gap = t - prevTs;
          if (gap < 0) throw new TfplError('ERR_WINDOW_SOURCE', `${fn}: timestamps go back in time at row ${g} (${prevTs} then ${t}); the source must yield rows in time order`);
          if (maxGap !== undefined && gap > maxGap) {
            breaks.push(g);
            isBreak = true;
          }
        }
        prevTs = t;
        for (let k = 0; k < timeBounds.length; k++) {
          if (t < timeBounds[k]![1].from) below[k]!.from++;
          if (t < timeBounds[k]![1].to) below[k]!.to++;
        }
        inTrain = trainTime ? t >= trainTime.from && t < trainTime.to : g >= trainRows!.start && g < trainRows!.end;
      } else inTrain = g >= trainRows!.start && g < trainRows!.end;
      for (let c = 0; c < columns.length; c++) {
        const v = cols[c]![i]!;
        if (columns[c]!.logReturn) {
          const p = prev[c]!;
          prev[c] = v;
          if (inTrain && prevInTrain && !isBreak) accs[c]!.add(Math.log(v / p));
        } else if (inTrain) accs[c]!.add(v);
      }
      prevInTrain = inTrain;
    }
  }

  const ranges: Partial<Record<Subset, RowRange>> = {};
  if (split.kind === 'none') ranges.train = { start: 0, end: g };
  else if (split.kind === 'fraction') Object.assign(ranges, fractionRanges(split.fractions, g));
  else timeBounds.forEach(([s], k) => (ranges[s] = { start: below[k]!.from, end: below[k]!.to }));

  const normalization: NormalizationStats = { version: 1, columns: {} };
  columns.forEach((c, k) => (normalization.columns[c.name] = accs[k]!.finish(c.method, c.logReturn)));
  return { numRows: g, breaks, ranges, normalization, firstTimestamp: firstTs, lastTimestamp: tsName && g > 0 ? prevTs : undefined };
}
