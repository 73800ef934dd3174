import type { RowRange } from './split.js';

/**
 * Where windows sit in the rows of one series. A window starting at row s reads inputs at s, s+r, ...,
 * s+(W−1)r and targets at the next `horizon` samples s+(W−1+1)r, ..., s+(W−1+H)r (r = samplingRate), so it
 * spans `span` = (W−1+H)·r + 1 rows. With log returns, row s's value also needs row s−1 (`lead` = 1).
 */
export interface WindowGeometry {
  windowSize: number;
  horizon: number;
  samplingRate: number;
  stride: number;
  lead: 0 | 1;
  span: number;
}

export function windowGeometry(g: Omit<WindowGeometry, 'span'>): WindowGeometry {
  return { ...g, span: (g.windowSize - 1 + g.horizon) * g.samplingRate + 1 };
}

/**
 * The windows of one series' part, as runs of starts: run k holds starts `first_k + j·stride` for
 * j < count_k. A start s is a window when s = range.start + lead + k·stride, its whole span (and its lead
 * row) lies inside the range, and no segment break b (a gap > maxGap before row b) has s − lead < b <=
 * s + span − 1. Rows are numbered inside the series. The closed form gives `size`, ordinals (for shards and
 * sampling) and the windows that complete in any run of rows, before any window is built.
 *
 * @example
 * const w = new SeriesWindows(geom, { start: 0, end: 500 }, [120]);
 * w.count; w.startAt(0); w.ordinalOf(w.startAt(7)); // 7
 */
export class SeriesWindows {
  readonly count: number;
  readonly stride: number;
  /** [first, count] per run, in increasing order of start. */
  readonly #runs: number[] = [];
  /** Windows before each run. */
  readonly #before: number[] = [];

  constructor(geom: WindowGeometry, range: RowRange, breaks: ArrayLike<number>) {
    this.stride = geom.stride;
    const anchor = range.start + geom.lead;
    const lastStart = range.end - geom.span; // inclusive
    let total = 0;
    if (lastStart >= anchor) {
      let segStart = 0;
      for (let k = 0; k <= breaks.length; k++) {
        const segEnd = k < breaks.length ? breaks[k]! : Infinity;
        const lo = Math.max(anchor, segStart + geom.lead);
        const hi = Math.min(lastStart, segEnd - geom.span);
        if (hi >= lo) {
          const first = anchor + Math.ceil((lo - anchor) / geom.stride) * geom.stride;
          if (first <= hi) {
            const count = Math.floor((hi - first) / geom.stride) + 1;
            this.#runs.push(first, count);
            this.#before.push(total);
            total += count;
          }
        }
        segStart = segEnd;
        if (segStart > lastStart) break;
      }
    }
    this.count = total;
  }

  /** The start of window number `ordinal` (0-based, in order of start). */
  startAt(ordinal: number): number {
    let lo = 0;
    let hi = this.#before.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#before[mid]! <= ordinal) lo = mid;
      else hi = mid - 1;
    }
    return this.#runs[2 * lo]! + (ordinal - this.#before[lo]!) * this.stride;
  }

  /** The ordinal of the window starting at `start`, which must be a window. */
  ordinalOf(start: number): number {
    let lo = 0;
    let hi = this.#before.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#runs[2 * mid]! <= start) lo = mid;
      else hi = mid - 1;
    }
    return this.#before[lo]! + (start - this.#runs[2 * lo]!) / this.stride;
  }

  /** Windows that start before row `row`. */
  countBefore(row: number): number {
    const runs = this.#runs;
    let lo = 0;
    let hi = this.#before.length - 1;
    if (hi < 0 || runs[0]! >= row) return 0;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs[2 * mid]! < row) lo = mid;
      else hi = mid - 1;
    }
    return this.#before[lo]! + Math.min(runs[2 * lo + 1]!, Math.ceil((row - runs[2 * lo]!) / this.stride));
  }

  /**
   * The windows starting in [lo, hi] (inclusive) whose ordinals lie in [ordLo, ordHi), as runs of
   * consecutive windows (starts `first + j·stride`, j < count), in order: `visit(first, count, ordinal)` with
   * the ordinal of `first`. Cost: the runs, not the windows.
   */
  forEachRun(lo: number, hi: number, ordLo: number, ordHi: number, visit: (first: number, count: number, ordinal: number) => void): void {
    const runs = this.#runs;
    const stride = this.stride;
    for (let k = 0; k < this.#before.length; k++) {
      const first = runs[2 * k]!;
      const n = runs[2 * k + 1]!;
      const base = this.#before[k]!;
      if (base >= ordHi) return;
      if (base + n <= ordLo) continue;
      const last = first + (n - 1) * stride;
      if (last < lo) continue;
      if (first > hi) return;
      const j0 = Math.max(lo <= first ? 0 : Math.ceil((lo - first) / stride), ordLo - base);
      const j1 = Math.min(n - 1, Math.floor((hi - first) / stride), ordHi - 1 - base); // inclusive
      if (j1 >= j0) visit(first + j0 * stride, j1 - j0 + 1, base + j0);
    }
  }
}

/**
 * Shard `shardIndex` of `shardCount` over `total` windows: window ordinals ⌊k·W/n⌋ to ⌊(k+1)·W/n⌋ − 1, so
 * shards are disjoint, their union is every window, and their sizes differ by at most one.
 */
export function shardOrdinals(total: number, shardIndex: number, shardCount: number): { lo: number; hi: number } {
  return { lo: Math.floor((shardIndex * total) / shardCount), hi: Math.floor(((shardIndex + 1) * total) / shardCount) };
}

/** Batches of an epoch with `windows` windows. */
export function countBatches(windows: number, batchSize: number, dropRemainder: boolean): number {
  return dropRemainder ? Math.floor(windows / batchSize) : Math.ceil(windows / batchSize);
}
