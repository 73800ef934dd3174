import { ConfigError } from '../errors.js';
import type { ColumnBatch } from '../schema/columns.js';
import { numberColumn, type NumberColumn } from './column-access.js';
import type { SeriesKeys } from './series-keys.js';
import type { WindowBatch } from './window-writer.js';
import { calendarFeatures } from './window-writer.js';
import type { WindowGeometry } from './window-plan.js';

/** Scaling of one series: normalised = (x − offset[k]) × scale[k] per column k. */
export interface SeriesScaling {
  offset: Float64Array;
  scale: Float64Array;
}

/** How `FollowWindows` turns rows into windows; fixed for the life of a follow. */
export interface FollowConfig {
  fn: string;
  geom: WindowGeometry;
  /** Columns read (features ∪ targets, each once). */
  columns: readonly string[];
  /** Per column: 1 when it becomes ln(x[t] / x[t−1]). */
  logReturn: Uint8Array;
  featureIdx: Int32Array;
  targetIdx: Int32Array;
  timestampColumn: string;
  maxGap?: number;
  /** The subset's time range: rows with from <= t < to (±Infinity when open). */
  part: { from: number; to: number };
  /** The series of the rows (null: the source is one series). */
  keys: SeriesKeys | null;
  /** Scaling of series number `s`; null when there are no statistics for it (its rows are refused). */
  scaling(series: number): SeriesScaling | null;
  extras: { series: boolean; calendar: boolean };
}

/** One series as a follow has seen it: enough to go on with its next row, and no more. */
interface SeriesTrack {
  /** Rows of the series seen (its row numbers run 0..n−1). */
  n: number;
  /** Timestamp of its newest row seen (rows at or before it are ones already taken). */
  lastTs: number;
  /** Row that starts the current gap-free segment. */
  segStart: number;
  /** First row inside the subset's time range; −1 before one was seen. */
  partStart: number;
  /** A row at or after the range's end was seen: no window completes any more. */
  ended: boolean;
  /** Raw value of the newest row, per column (log returns). */
  prevRaw: Float64Array;
  /** The newest `span` rows, transformed, as a ring: row i at slot i % span. */
  rows: Float32Array;
  ts: Float64Array;
  scaling: SeriesScaling;
}

/** A follow's position, JSON-serialisable: per series, what `SeriesTrack` holds (typed arrays as base64). */
export interface FollowSeriesState {
  /** The series' ids (an int64 id as its decimal string). */
  ids: (string | number)[];
  n: number;
  lastTs: number | null;
  segStart: number;
  partStart: number;
  ended: boolean;
  prevRaw: string;
  rows: string;
  ts: string;
}

const toBase64 = (a: ArrayBufferView): string => {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const fromBase64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/**
 * Windows of a source that grows, one row at a time, per series: each row appended to its series completes
 * at most one window (the one it ends), which goes straight into the batch being filled. Where windows sit
 * is exactly what `makeTfDataset` gives the same rows read at once (`SeriesWindows`): starts on the stride
 * from the first row of the subset's time range (plus the lead row of log returns), the whole span inside
 * one gap-free segment and inside the range. Only the last `span` rows of each series are kept, and a row at
 * or before its series' newest one is taken as seen (not again).
 *
 * @example
 * const f = new FollowWindows(config); let at = 0;
 * while (at < batch.numRows) { at = f.feed(batch, at, builder); if (builder.full) emit(builder.take()); }
 */
export class FollowWindows {
  readonly #c: FollowConfig;
  readonly width: number;
  readonly #span: number;
  readonly #tracks: (SeriesTrack | undefined)[] = [];
  /** Series index of every row of the batch being fed (reused while it is). */
  #batch: ColumnBatch | null = null;
  #seriesOf = new Int32Array(0);
  #cols: NumberColumn[] = [];
  #tsCol: NumberColumn | null = null;
  /** Windows completed so far, per series number. */
  readonly windowsBySeries: number[] = [];

  /** Called after each new row is appended (`latestInputs(series)` then ends with it): its row number, time and raw values. */
  onRow: ((series: number, row: number, ts: number, raw: Float64Array) => void) | null = null;
  readonly #raw: Float64Array;

  constructor(config: FollowConfig, state?: readonly FollowSeriesState[]) {
    this.#c = config;
    this.#raw = new Float64Array(config.columns.length);
    this.width = config.columns.length;
    this.#span = config.geom.span;
    if (state) this.#restore(state);
  }

  /** The rows of every series seen so far. */
  get seriesRows(): number[] {
    return this.#tracks.map((t) => t?.n ?? 0);
  }

  /** Newest timestamp seen of series `s`, or −Infinity. */
  lastTimestamp(s: number): number {
    return this.#tracks[s]?.lastTs ?? -Infinity;
  }

  /**
   * Rows of `batch` from row `from` on, until it ends or `out` is full; returns the next row to feed. Rows
   * of a series must come in time order (a row older than its series' newest is refused unless it is one of
   * the rows already seen, which is passed over).
   */
  feed(batch: ColumnBatch, from: number, out: FollowBatchBuilder): number {
    const c = this.#c;
    const n = batch.numRows;
    if (this.#batch !== batch) {
      this.#batch = batch;
      this.#cols = c.columns.map((name) => numberColumn(c.fn, name, batch.columns[name], n));
      this.#tsCol = numberColumn(c.fn, c.timestampColumn, batch.columns[c.timestampColumn], n);
      if (c.keys) {
        if (this.#seriesOf.length < n) this.#seriesOf = new Int32Array(n);
        c.keys.indexRows(batch, 0, false, this.#seriesOf);
      } else this.#seriesOf = new Int32Array(Math.max(n, this.#seriesOf.length));
    }
    for (let i = from; i < n; i++) {
      if (this.#row(this.#seriesOf[i]!, i, out) && out.full) return i + 1;
    }
    return n;
  }

  #track(s: number): SeriesTrack {
    let t = this.#tracks[s];
    if (!t) {
      const scaling = this.#c.scaling(s);
      if (!scaling) {
        const ids = this.#c.keys?.values[s] ?? [];
        throw new ConfigError(`${this.#c.fn}: series ${JSON.stringify(ids.map(String))} has no statistics in normalization (it was not in the training data); pass normalizeBy: 'global' to scale it with the global statistics, or filter it out`);
      }
      t = { n: 0, lastTs: -Infinity, segStart: 0, partStart: -1, ended: false, prevRaw: new Float64Array(this.width), rows: new Float32Array(this.#span * this.width), ts: new Float64Array(this.#span), scaling };
      this.#tracks[s] = t;
    }
    return t;
  }

  /** One row of series `s`: appended to its track; true when it completed a window (written to `out`). */
  #row(s: number, i: number, out: FollowBatchBuilder): boolean {
    const c = this.#c;
    const ts = this.#tsCol![i]!;
    const t = this.#track(s);
    if (!(ts > t.lastTs)) {
      if (Number.isNaN(ts)) throw new ConfigError(`${c.fn}: a row of ${this.#describe(s)} has no ${c.timestampColumn}; following needs every row's time`);
      return false; // taken before (an earlier commit, or the rows a compaction rewrote)
    }
    const i0 = t.n++;
    if (c.maxGap !== undefined && i0 > 0 && ts - t.lastTs > c.maxGap) t.segStart = i0;
    t.lastTs = ts;
    if (ts >= c.part.to) t.ended = true;
    else if (t.partStart < 0 && ts >= c.part.from) t.partStart = i0;
    const width = this.width;
    const slot = (i0 % this.#span) * width;
    const { offset, scale } = t.scaling;
    for (let k = 0; k < width; k++) {
      const raw = this.#cols[k]![i]!;
      const v = c.logReturn[k] === 1 ? Math.log(raw / t.prevRaw[k]!) : raw;
      t.rows[slot + k] = (v - offset[k]!) * scale[k]!;
      t.prevRaw[k] = raw;
      this.#raw[k] = raw;
    }
    t.ts[i0 % this.#span] = ts;
    this.onRow?.(s, i0, ts, this.#raw);
    // The window ending at this row, if the row completes one.
    if (t.ended || t.partStart < 0) return false;
    const { span, lead, stride } = c.geom;
    const start = i0 - span + 1;
    const anchor = t.partStart + lead;
    if (start < anchor || (start - anchor) % stride !== 0 || start - lead < t.segStart) return false;
    this.#write(t, s, start, out);
    this.windowsBySeries[s] = (this.windowsBySeries[s] ?? 0) + 1;
    return true;
  }

  #write(t: SeriesTrack, s: number, start: number, out: FollowBatchBuilder): void {
    const { windowSize: w, horizon, samplingRate: r } = this.#c.geom;
    const width = this.width;
    const span = this.#span;
    const k = out.size;
    const b = out.batch;
    const fi = this.#c.featureIdx;
    const ti = this.#c.targetIdx;
    let x = k * w * fi.length;
    for (let j = 0; j < w; j++) {
      const base = ((start + j * r) % span) * width;
      for (let f = 0; f < fi.length; f++) b.xs[x++] = t.rows[base + fi[f]!]!;
    }
    let y = k * horizon * ti.length;
    for (let h = 1; h <= horizon; h++) {
      const base = ((start + (w - 1 + h) * r) % span) * width;
      for (let q = 0; q < ti.length; q++) b.ys[y++] = t.rows[base + ti[q]!]!;
    }
    if (b.series) b.series[k] = s;
    if (b.calendar) for (let h = 1; h <= horizon; h++) calendarFeatures(t.ts[(start + (w - 1 + h) * r) % span]!, b.calendar, (k * horizon + h - 1) * 4);
    out.count(s, t.ts[(start + span - 1) % span]!);
  }

  /**
   * The newest `windowSize` inputs of series `s` (features, scaled as the windows'), the last one its newest
   * row: what a model forecasts the next step from; null while the series has too few rows in its current
   * gap-free segment (inside the subset's range).
   */
  latestInputs(s: number): { xs: Float32Array; lastTimestamp: number } | null {
    const t = this.#tracks[s];
    if (!t || t.ended || t.partStart < 0) return null;
    const { windowSize: w, samplingRate: r, lead } = this.#c.geom;
    const last = t.n - 1;
    const first = last - (w - 1) * r;
    if (first - lead < Math.max(t.segStart, t.partStart) || last - first >= this.#span) return null;
    const fi = this.#c.featureIdx;
    const xs = new Float32Array(w * fi.length);
    let x = 0;
    for (let j = 0; j < w; j++) {
      const base = ((first + j * r) % this.#span) * this.width;
      for (let f = 0; f < fi.length; f++) xs[x++] = t.rows[base + fi[f]!]!;
    }
    return { xs, lastTimestamp: t.lastTs };
  }

  /** Where every series stands, to go on from after a restart (`FollowWindows(config, state)`). */
  state(): FollowSeriesState[] {
    const out: FollowSeriesState[] = [];
    this.#tracks.forEach((t, s) => {
      if (!t) return;
      out.push({
        ids: (this.#c.keys?.values[s] ?? []).map((v) => (typeof v === 'bigint' ? String(v) : v)),
        n: t.n,
        lastTs: Number.isFinite(t.lastTs) ? t.lastTs : null,
        segStart: t.segStart,
        partStart: t.partStart,
        ended: t.ended,
        prevRaw: toBase64(t.prevRaw),
        rows: toBase64(t.rows),
        ts: toBase64(t.ts),
      });
    });
    return out;
  }

  #restore(state: readonly FollowSeriesState[]): void {
    const c = this.#c;
    for (const st of state) {
      let s = 0;
      if (c.keys) {
        if (st.ids.length !== c.keys.columns.length) throw new ConfigError(`${c.fn}: resumeFrom holds series ${JSON.stringify(st.ids)} but seriesColumns are ${JSON.stringify(c.keys.columns)}; resume with the options the state was made with`);
        c.keys.preset([st.ids]);
        s = c.keys.values.findIndex((v) => v.length === st.ids.length && v.every((x, k) => String(x) === String(st.ids[k])));
      } else if (st.ids.length) throw new ConfigError(`${c.fn}: resumeFrom holds series ${JSON.stringify(st.ids)} but no seriesColumns are given; resume with the options the state was made with`);
      const t = this.#track(s);
      const rows = fromBase64(st.rows);
      const ts = fromBase64(st.ts);
      const prev = fromBase64(st.prevRaw);
      if (rows.length !== t.rows.byteLength || ts.length !== t.ts.byteLength || prev.length !== t.prevRaw.byteLength) {
        throw new ConfigError(`${c.fn}: resumeFrom was made with another window span or other columns; resume with the options the state was made with`);
      }
      new Uint8Array(t.rows.buffer).set(rows);
      new Uint8Array(t.ts.buffer).set(ts);
      new Uint8Array(t.prevRaw.buffer).set(prev);
      Object.assign(t, { n: st.n, lastTs: st.lastTs ?? -Infinity, segStart: st.segStart, partStart: st.partStart, ended: st.ended });
    }
  }

  #describe(s: number): string {
    return this.#c.keys ? `series ${JSON.stringify((this.#c.keys.values[s] ?? []).map(String))}` : 'the source';
  }
}

/** The batch a follow is filling: windows are written into it in place; `take` hands it on and starts the next. */
export class FollowBatchBuilder {
  batch: WindowBatch;
  size = 0;
  /** Newest target time of the windows in the batch, per series number (what a consumer may score against). */
  readonly #allocate: () => WindowBatch;
  readonly capacity: number;

  constructor(capacity: number, allocate: (n: number) => WindowBatch) {
    this.capacity = capacity;
    this.#allocate = () => allocate(capacity);
    this.batch = this.#allocate();
  }

  get full(): boolean {
    return this.size >= this.capacity;
  }

  /** Records the window just written (its series and the time of its last row). */
  count(_series: number, _lastTs: number): void {
    this.size++;
  }

  /** The windows written so far as a batch of exactly that many (null when none), and a fresh batch to fill. */
  take(): WindowBatch | null {
    if (this.size === 0) return null;
    const n = this.size;
    const b = this.batch;
    const cut: WindowBatch = {
      size: n,
      xs: n === this.capacity ? b.xs : b.xs.subarray(0, (b.xs.length / this.capacity) * n),
      ys: n === this.capacity ? b.ys : b.ys.subarray(0, (b.ys.length / this.capacity) * n),
    };
    if (b.series) cut.series = b.series.subarray(0, n);
    if (b.calendar) cut.calendar = b.calendar.subarray(0, (b.calendar.length / this.capacity) * n);
    this.batch = this.#allocate();
    this.size = 0;
    return cut;
  }
}
