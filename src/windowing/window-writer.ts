import type { WorkBuffer } from './unit-assembler.js';
import type { WindowArena } from './window-arena.js';
import type { WindowGeometry } from './window-plan.js';

/** Optional inputs that come with every window besides its `xs` and `ys`. */
export interface WindowExtras {
  /** The series' number (for an embedding layer). */
  series: boolean;
  /** Per series × static column: the values (constant inside a series); null for none. */
  statics: Float64Array | null;
  staticCount: number;
  /** Calendar features of each target step: hour of day and day of week as sin/cos (4 values). */
  calendar: boolean;
}

/** One batch as plain arrays: `size` windows; xs = [size, windowSize, features], ys = [size, horizon, targets]. */
export interface WindowBatch {
  size: number;
  xs: Float32Array;
  ys: Float32Array;
  /** [size] series numbers, with `extras.series`. */
  series?: Int32Array;
  /** [size, staticCount], with static columns. */
  statics?: Float32Array;
  /** [size, horizon, 4], with `extras.calendar`. */
  calendar?: Float32Array;
}

const DAY = 86_400_000;
const TAU = 2 * Math.PI;

/** Calendar features of one instant (UTC): hour of day and day of week, each as sin/cos so that 23:00 neighbours 00:00. */
export function calendarFeatures(ms: number, out: Float32Array, at: number): void {
  const hour = (((ms % DAY) + DAY) % DAY) / 3_600_000;
  const day = ((Math.floor(ms / DAY) + 4) % 7 + 7) % 7; // 1970-01-01 was a Thursday (Sunday = 0)
  out[at] = Math.sin((TAU * hour) / 24);
  out[at + 1] = Math.cos((TAU * hour) / 24);
  out[at + 2] = Math.sin((TAU * day) / 7);
  out[at + 3] = Math.cos((TAU * day) / 7);
}

/**
 * Copies windows out of a work buffer into batch arrays: inputs ([windowSize, features]), targets
 * ([horizon, targets]) and the extras. When the features are every column in order and samplingRate is 1, a
 * window's inputs are one contiguous run, copied with one `set`.
 */
export class WindowWriter {
  readonly featureFloats: number;
  readonly targetFloats: number;
  readonly #geom: WindowGeometry;
  readonly #width: number;
  readonly #featureIdx: Int32Array;
  readonly #targetIdx: Int32Array;
  readonly #contiguous: boolean;
  /** Runs take the common path: inputs contiguous, one target, horizon 1, no statics or calendar. */
  readonly #plainRuns: boolean;
  readonly #extras: WindowExtras;
  /**
   * Where runs are copied when the batch and the work rows live in one WebAssembly memory (see
   * `WindowArena`); null: copied in JavaScript.
   */
  readonly arena: WindowArena | null;

  /**
   * `arena`: offered for batches reused one after the other (the consumer copies each out before the next);
   * kept only where every run takes the common path, else `arena` is null.
   */
  constructor(geom: WindowGeometry, width: number, featureIdx: Int32Array, targetIdx: Int32Array, extras: WindowExtras, arena: WindowArena | null = null) {
    this.#geom = geom;
    this.#width = width;
    this.#featureIdx = featureIdx;
    this.#targetIdx = targetIdx;
    this.#extras = extras;
    this.#contiguous = geom.samplingRate === 1 && featureIdx.length === width && featureIdx.every((c, i) => c === i);
    this.#plainRuns = this.#contiguous && extras.statics === null && !extras.calendar && targetIdx.length === 1 && geom.horizon === 1;
    this.featureFloats = geom.windowSize * featureIdx.length;
    this.targetFloats = geom.horizon * targetIdx.length;
    this.arena = this.#plainRuns && arena && arena.batchFloats >= this.featureFloats ? arena : null;
  }

  /** Arrays for a batch of `n` windows: fresh, or with an arena its inputs in the arena's batch region. */
  allocate(n: number): WindowBatch {
    const e = this.#extras;
    const xs = this.arena ? this.arena.batchView(n * this.featureFloats) : new Float32Array(n * this.featureFloats);
    const b: WindowBatch = { size: n, xs, ys: new Float32Array(n * this.targetFloats) };
    if (e.series) b.series = new Int32Array(n);
    if (e.statics) b.statics = new Float32Array(n * e.staticCount);
    if (e.calendar) b.calendar = new Float32Array(n * this.#geom.horizon * 4);
    return b;
  }

  /** Copies the window whose first row is work row `row` (of series `series`) into slot `k` of `b`. */
  write(work: WorkBuffer, row: number, series: number, b: WindowBatch, k: number): void {
    const { windowSize: w, horizon, samplingRate: r } = this.#geom;
    const width = this.#width;
    const buf = work.data;
    const xs = b.xs;
    let xOff = k * this.featureFloats;
    if (this.#contiguous) xs.set(work.view(row, w * width), xOff);
    else {
      const fi = this.#featureIdx;
      const nf = fi.length;
      for (let j = 0; j < w; j++) {
        const base = (row + j * r) * width;
        for (let f = 0; f < nf; f++) xs[xOff++] = buf[base + fi[f]!]!;
      }
    }
    const ti = this.#targetIdx;
    const nt = ti.length;
    const ys = b.ys;
    let yOff = k * this.targetFloats;
    for (let h = 1; h <= horizon; h++) {
      const base = (row + (w - 1 + h) * r) * width;
      for (let t = 0; t < nt; t++) ys[yOff++] = buf[base + ti[t]!]!;
    }
    const e = this.#extras;
    if (b.series) b.series[k] = series;
    if (b.statics) {
      const S = e.staticCount;
      for (let c = 0; c < S; c++) b.statics[k * S + c] = e.statics![series * S + c]!;
    }
    if (b.calendar) {
      const ts = work.ts!;
      for (let h = 1; h <= horizon; h++) calendarFeatures(ts[row + (w - 1 + h) * r]!, b.calendar, (k * horizon + h - 1) * 4);
    }
  }

  /**
   * Copies `m` consecutive windows of one series, the first at work row `row` and each `stride` rows after
   * the one before, into slots `k`, `k + 1`, ... of `b`: the in-order path, one tight loop per run.
   */
  writeRun(work: WorkBuffer, row: number, stride: number, m: number, series: number, b: WindowBatch, k: number): void {
    const e = this.#extras;
    if (!this.#plainRuns) {
      for (let j = 0; j < m; j++) this.write(work, row + j * stride, series, b, k + j);
      return;
    }
    // The common case: every column a feature in order, one target, horizon 1.
    const { windowSize: w } = this.#geom;
    const width = this.#width;
    const floats = w * width;
    const ys = b.ys;
    const buf = work.data;
    const t = this.#targetIdx[0]!;
    const shift = stride * width;
    const arena = this.arena;
    if (arena && work.arena === arena) {
      // The work rows grew since this batch was allocated: its view of the arena is detached (length 0).
      if (b.xs.buffer !== arena.buffer) b.xs = arena.batchView(b.size * floats);
      arena.copyWindows(row * width, k * floats, m, floats, shift);
      for (let j = 0, at = (row + w) * width + t; j < m; j++, at += shift) ys[k + j] = buf[at]!;
      if (b.series && e.series) b.series.fill(series, k, k + m);
      return;
    }
    const xs = b.xs;
    let xOff = k * floats;
    let r = row;
    if (m > 0 && shift < floats) {
      // Overlapping windows: each is the one before it moved by `stride` rows, so it is copied from it inside
      // the batch (a memmove) and only its new rows come from the work buffer. No view per window: beyond the
      // views a work buffer keeps, one per window would be garbage for every window of a large unit.
      xs.set(work.view(r, floats), xOff);
      ys[k] = buf[(r + w) * width + t]!;
      const keep = floats - shift;
      for (let j = 1; j < m; j++) {
        r += stride;
        xOff += floats;
        xs.copyWithin(xOff, xOff - keep, xOff);
        for (let i = 0, src = (r + w - stride) * width, dst = xOff + keep; i < shift; i++) xs[dst + i] = buf[src + i]!;
        ys[k + j] = buf[(r + w) * width + t]!;
      }
    } else {
      for (let j = 0; j < m; j++, r += stride, xOff += floats) {
        xs.set(work.view(r, floats), xOff);
        ys[k + j] = buf[(r + w) * width + t]!;
      }
    }
    if (b.series && e.series) b.series.fill(series, k, k + m);
  }

  /** Copies window `from` of batch arrays `a` into slot `k` of `b` (the shuffle buffer's copies). */
  copy(a: WindowBatch, from: number, b: WindowBatch, k: number): void {
    b.xs.set(a.xs.subarray(from * this.featureFloats, (from + 1) * this.featureFloats), k * this.featureFloats);
    b.ys.set(a.ys.subarray(from * this.targetFloats, (from + 1) * this.targetFloats), k * this.targetFloats);
    if (b.series) b.series[k] = a.series![from]!;
    const S = this.#extras.staticCount;
    if (b.statics) b.statics.set(a.statics!.subarray(from * S, (from + 1) * S), k * S);
    const c = this.#geom.horizon * 4;
    if (b.calendar) b.calendar.set(a.calendar!.subarray(from * c, (from + 1) * c), k * c);
  }
}
