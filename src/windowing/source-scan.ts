import { SchemaError, TfplError } from '../errors.js';
import { numberColumn, type NumberColumn } from './column-access.js';
import { type ColumnStats, type NormalizeMethod, StatsAccumulator } from './normalize.js';
import { SeriesKeys } from './series-keys.js';
import { SUBSETS, type RowRange, type Subset } from './split.js';
import { readUnits, type WindowSource } from './window-source.js';

/** One series, as a pass over the source found it. Rows are numbered inside the series. */
export interface SeriesFacts {
  rows: number;
  /** Rows that start a new gap-free segment (row 0 excluded), ascending. */
  breaks: number[];
  /** Row range of every split part. */
  ranges: Partial<Record<Subset, RowRange>>;
  firstTimestamp: number;
  lastTimestamp: number;
  /** Per column of the request: statistics over the series' train part (when asked). */
  stats: ColumnStats[];
  /** Values of the static columns (constant inside the series). */
  statics: Float64Array;
}

/** Where each series' rows sit in one unit (a row group, a chunk) of the source. */
export interface UnitLayout {
  rows: number;
  /** Series present, in order of first appearance in the unit. */
  series: Int32Array;
  /** Per present series: the series row number of its first row in the unit. */
  firstRow: Int32Array;
  /** Per present series: its rows in the unit. */
  counts: Int32Array;
}

/** What one or two passes over the source established; fixed for the life of a dataset. */
export interface SourceFacts {
  numRows: number;
  keys: SeriesKeys;
  series: SeriesFacts[];
  /** In source order. */
  units: UnitLayout[];
  /** Statistics over every series' train part together, per column of the request. */
  globalStats: ColumnStats[];
}

/** How a pass decides which rows are in the train part (for statistics). */
export type TrainRows =
  | { kind: 'all' }
  | { kind: 'rows'; ranges: (series: number) => RowRange | undefined }
  | { kind: 'time'; from: number; to: number };

/** What a pass must find out. */
export interface ScanRequest {
  fn: string;
  seriesColumns: readonly string[];
  /** Feature and target columns, each once, with how it is normalised and whether it becomes a log return. */
  columns: readonly { name: string; method: NormalizeMethod; logReturn: boolean }[];
  /** Columns constant inside a series, delivered as static inputs. */
  staticColumns: readonly string[];
  timestampColumn?: string;
  maxGap?: number;
  /** Time ranges of the split parts (row ranges are computed from them per series). */
  timeRanges?: Partial<Record<Subset, { from: number; to: number }>>;
  /** Collect statistics of `columns` over these rows; omitted, none are collected. */
  trainRows?: TrainRows;
  /** Series numbering to start from (a dataset's `seriesOrder`, or an earlier pass's). */
  keys?: SeriesKeys;
  /** True for a second pass: every series must be one the first pass numbered. */
  frozen?: boolean;
}

interface SeriesState {
  breaks: number[];
  prevTs: number;
  firstTs: number;
  below: Float64Array; // per time bound: rows with ts < bound
  accs: StatsAccumulator[];
  prev: Float64Array; // raw value of the previous row, per column (log returns)
  prevInTrain: boolean;
  statics: Float64Array;
}

/**
 * One pass over the source: series, units, rows, gaps and time-bound counts per series, and (when asked)
 * per-series and global statistics of the train rows, on typed arrays only. Time going back inside a series
 * is a `SchemaError` naming the series and the row; a static column that changes inside a series too.
 */
export async function scanSource(source: WindowSource, req: ScanRequest): Promise<SourceFacts> {
  const { fn, columns, timestampColumn: tsName, maxGap, staticColumns } = req;
  const keys = req.keys ?? new SeriesKeys(req.seriesColumns, fn);
  const frozen = req.frozen === true;
  const bounds = req.timeRanges ? SUBSETS.filter((s) => req.timeRanges![s]).flatMap((s) => [req.timeRanges![s]!.from, req.timeRanges![s]!.to]) : [];
  const train = req.trainRows;
  const globalAccs = columns.map(() => new StatsAccumulator());
  const states: SeriesState[] = [];
  const units: UnitLayout[] = [];
  const needValues = !!train || staticColumns.length > 0;
  // Value columns only when statistics or static inputs need them: a layout pass reads ids and times alone.
  const wanted = [...new Set([...req.seriesColumns, ...(needValues ? [...columns.map((c) => c.name), ...staticColumns] : []), ...(tsName ? [tsName] : [])])];
  const state = (s: number): SeriesState => {
    while (states.length <= s) {
      states.push({
        breaks: [],
        prevTs: NaN,
        firstTs: NaN,
        below: new Float64Array(bounds.length),
        accs: columns.map(() => new StatsAccumulator()),
        prev: new Float64Array(columns.length),
        prevInTrain: false,
        statics: new Float64Array(staticColumns.length).fill(NaN),
      });
    }
    return states[s]!;
  };
  const describe = (s: number) => (keys.columns.length ? ` of series ${keys.keys[s]}` : '');

  let g = 0; // global row
  // Rows of each series so far (series 0 is the source itself when there are no series columns).
  let rowsOf = new Int32Array(1);
  let perUnit = new Int32Array(1);
  let idScratch = new Int32Array(0);
  const cols: NumberColumn[] = new Array(columns.length);
  const statCols: NumberColumn[] = new Array(staticColumns.length);
  for await (const { batch } of readUnits(source, wanted.length ? wanted : [columns[0]?.name ?? tsName ?? keys.columns[0]!])) {
    const n = batch.numRows;
    if (keys.columns.length && idScratch.length < n) idScratch = new Int32Array(n);
    const seriesOf = keys.columns.length ? keys.indexRows(batch, g, frozen, idScratch) : null;
    const ts = tsName ? numberColumn(fn, tsName, batch.columns[tsName], n) : undefined;
    if (needValues) {
      for (let c = 0; c < columns.length; c++) cols[c] = numberColumn(fn, columns[c]!.name, batch.columns[columns[c]!.name], n);
      for (let c = 0; c < staticColumns.length; c++) statCols[c] = numberColumn(fn, staticColumns[c]!, batch.columns[staticColumns[c]!], n);
    }
    if (rowsOf.length < keys.count) {
      const grown = new Int32Array(Math.max(keys.count, rowsOf.length * 2));
      grown.set(rowsOf);
      rowsOf = grown;
      perUnit = new Int32Array(grown.length);
    }
    const layout = seriesOf ? layoutOf(seriesOf, rowsOf, perUnit) : oneSeriesLayout(n, rowsOf[0]!);
    units.push(layout);
    if (!ts && !needValues) {
      // Ids alone decide the layout: rows are counted per series in bulk, not row by row.
      for (let p = 0; p < layout.series.length; p++) rowsOf[layout.series[p]!]! += layout.counts[p]!;
      g += n;
      continue;
    }
    for (let i = 0; i < n; i++, g++) {
      const s = seriesOf ? seriesOf[i]! : 0;
      const st = states[s] ?? state(s);
      const r = rowsOf[s]!++;
      let isBreak = r === 0;
      let inTrain = true;
      if (ts) {
        const t = ts[i]!;
        if (t !== t) throw new SchemaError(`${fn}: timestamp column "${tsName}" is null at row ${g}${describe(s)}; windows need a timestamp on every row`, { field: tsName, row: g });
        if (r === 0) st.firstTs = t;
        else {
          const gap = t - st.prevTs;
          if (gap < 0) {
            throw new SchemaError(`${fn}: timestamps go back in time at row ${g}${describe(s)} (${new Date(st.prevTs).toISOString()} then ${new Date(t).toISOString()}); rows of a series must be in time order: sort the store by series, then time (materializeDataset's sortBy: [...seriesColumns, timestamp])`, { field: tsName, row: g, value: t });
          }
          if (maxGap !== undefined && gap > maxGap) {
            st.breaks.push(r);
            isBreak = true;
          }
        }
        st.prevTs = t;
        for (let k = 0; k < bounds.length; k++) if (t < bounds[k]!) st.below[k]!++;
        if (train?.kind === 'time') inTrain = t >= train.from && t < train.to;
      }
      if (train?.kind === 'rows') {
        const range = train.ranges(s);
        inTrain = range !== undefined && r >= range.start && r < range.end;
      }
      if (!needValues) continue;
      for (let c = 0; c < staticColumns.length; c++) {
        const v = statCols[c]![i]!;
        const was = st.statics[c]!;
        if (r === 0) st.statics[c] = v;
        else if (!(v === was || (v !== v && was !== was))) {
          throw new SchemaError(`${fn}: static column "${staticColumns[c]}" changes inside a series at row ${g}${describe(s)} (${was} then ${v}); a static input must be constant per series`, { field: staticColumns[c], row: g, value: v });
        }
      }
      if (!train) continue;
      for (let c = 0; c < columns.length; c++) {
        const v = cols[c]![i]!;
        if (columns[c]!.logReturn) {
          const p = st.prev[c]!;
          st.prev[c] = v;
          if (inTrain && st.prevInTrain && !isBreak) {
            const x = Math.log(v / p);
            st.accs[c]!.add(x);
            globalAccs[c]!.add(x);
          }
        } else if (inTrain) {
          st.accs[c]!.add(v);
          globalAccs[c]!.add(v);
        }
      }
      st.prevInTrain = inTrain;
    }
  }
  // Series known from an earlier pass or a preset order keep their numbers even when they have no row here;
  // without series columns the source is one series when it has rows.
  const seriesCount = keys.columns.length ? keys.count : g > 0 ? 1 : 0;
  if (seriesCount > 0) state(seriesCount - 1);

  const series: SeriesFacts[] = states.map((st, s) => {
    const ranges: Partial<Record<Subset, RowRange>> = {};
    if (req.timeRanges) {
      let k = 0;
      for (const s of SUBSETS) {
        if (!req.timeRanges[s]) continue;
        ranges[s] = { start: st.below[k]!, end: st.below[k + 1]! };
        k += 2;
      }
    }
    return {
      rows: rowsOf[s] ?? 0,
      breaks: st.breaks,
      ranges,
      firstTimestamp: st.firstTs,
      lastTimestamp: st.prevTs,
      stats: st.accs.map((a, c) => a.finish(columns[c]!.method, columns[c]!.logReturn)),
      statics: st.statics,
    };
  });
  return { numRows: g, keys, series, units, globalStats: globalAccs.map((a, c) => a.finish(columns[c]!.method, columns[c]!.logReturn)) };
}

/**
 * The layout of a unit whose rows' series are `seriesOf`: series in order of first appearance, with their
 * first row (from `rowsOf`, the rows of each series before the unit, which the caller advances) and count.
 * `perUnit` is scratch of at least the series count, zero on entry and on return.
 */
function layoutOf(seriesOf: Int32Array, rowsOf: Int32Array, perUnit: Int32Array): UnitLayout {
  const order: number[] = [];
  for (let i = 0; i < seriesOf.length; i++) {
    const s = seriesOf[i]!;
    if (perUnit[s]!++ === 0) order.push(s);
  }
  const P = order.length;
  const layout: UnitLayout = { rows: seriesOf.length, series: Int32Array.from(order), firstRow: new Int32Array(P), counts: new Int32Array(P) };
  for (let p = 0; p < P; p++) {
    const s = order[p]!;
    layout.firstRow[p] = rowsOf[s]!;
    layout.counts[p] = perUnit[s]!;
    perUnit[s] = 0;
  }
  return layout;
}

/** The layout of a unit of a source without series columns: its `n` rows, from row `first`. */
function oneSeriesLayout(n: number, first: number): UnitLayout {
  return n > 0 ? { rows: n, series: Int32Array.of(0), firstRow: Int32Array.of(first), counts: Int32Array.of(n) } : { rows: 0, series: new Int32Array(0), firstRow: new Int32Array(0), counts: new Int32Array(0) };
}

/** Facts without reading: one series of `unitRows` rows (a source that knows its sizes, when no option needs a pass). */
export function factsFromSizes(unitRows: readonly number[], columns: readonly { method: NormalizeMethod; logReturn: boolean }[], keys: SeriesKeys): SourceFacts {
  const numRows = unitRows.reduce((a, b) => a + b, 0);
  let at = 0;
  const units = unitRows.map((rows): UnitLayout => {
    const u = { rows, series: Int32Array.of(0), firstRow: Int32Array.of(at), counts: Int32Array.of(rows) };
    at += rows;
    return u;
  });
  const none = () => columns.map((c) => new StatsAccumulator().finish(c.method, c.logReturn));
  const series: SeriesFacts[] = numRows > 0 ? [{ rows: numRows, breaks: [], ranges: {}, firstTimestamp: NaN, lastTimestamp: NaN, stats: none(), statics: new Float64Array(0) }] : [];
  return { numRows, keys, series, units, globalStats: none() };
}

/** A pass that saw other rows than an earlier one: the source changed in between. */
export function sourceChanged(fn: string, what: string): TfplError {
  return new TfplError('ERR_WINDOW_SOURCE', `${fn}: ${what}; the source changed between passes`);
}
