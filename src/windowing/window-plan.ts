import type { RowRange } from './split.js';

/**
 * Where windows sit in the rows. A window starting at row s reads inputs at s, s+r, ..., s+(W−1)r and
 * targets at the next `horizon` samples s+(W−1+1)r, ..., s+(W−1+H)r (r = samplingRate), so it spans
 * `span` = (W−1+H)·r + 1 rows. With log returns, row s's value also needs row s−1 (`lead` = 1).
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

/** A run of windows inside one gap-free segment: starts first, first + stride, ... (count of them). */
interface WindowRun {
  first: number;
  count: number;
}

/**
 * The windows of `range` as runs, in row order: s = range.start + lead + k·stride, the whole span (and the
 * lead row) inside the range, and no segment break b (a gap > maxGap before row b) with
 * s − lead < b <= s + span − 1. The same rule, row by row, is `WindowAssembler`'s; this closed form gives
 * `size` and the shards' windows before any window is built.
 */
function* windowRuns(geom: WindowGeometry, range: RowRange, breaks: readonly number[]): Generator<WindowRun> {
  const anchor = range.start + geom.lead;
  const lastStart = range.end - geom.span; // inclusive
  if (lastStart < anchor) return;
  let segStart = 0;
  for (let k = 0; k <= breaks.length; k++) {
    const segEnd = k < breaks.length ? breaks[k]! : Infinity;
    const lo = Math.max(anchor, segStart + geom.lead);
    const hi = Math.min(lastStart, segEnd - geom.span);
    if (hi >= lo) {
      const first = anchor + Math.ceil((lo - anchor) / geom.stride) * geom.stride;
      if (first <= hi) yield { first, count: Math.floor((hi - first) / geom.stride) + 1 };
    }
    segStart = segEnd;
    if (segStart > lastStart) break;
  }
}

/** Windows of `range` (see `windowRuns`). */
export function countWindows(geom: WindowGeometry, range: RowRange, breaks: readonly number[]): number {
  let total = 0;
  for (const run of windowRuns(geom, range, breaks)) total += run.count;
  return total;
}

/** The start row of window number `ordinal` (0-based, in row order) of `range`; -1 past the last window. */
export function windowStartAt(geom: WindowGeometry, range: RowRange, breaks: readonly number[], ordinal: number): number {
  let before = 0;
  for (const run of windowRuns(geom, range, breaks)) {
    if (ordinal < before + run.count) return run.first + (ordinal - before) * geom.stride;
    before += run.count;
  }
  return -1;
}

/**
 * Shard `shardIndex` of `shardCount`: windows number ⌊k·W/n⌋ to ⌊(k+1)·W/n⌋ − 1 of the W windows, so shards
 * are disjoint, their union is every window, and their sizes differ by at most one. Returns the shard's
 * window count and the start rows of its first and last window (null for an empty shard).
 */
export function shardOfWindows(geom: WindowGeometry, range: RowRange, breaks: readonly number[], total: number, shardIndex: number, shardCount: number): { count: number; starts: { first: number; last: number } | null } {
  const lo = Math.floor((shardIndex * total) / shardCount);
  const hi = Math.floor(((shardIndex + 1) * total) / shardCount);
  if (hi <= lo) return { count: 0, starts: null };
  return { count: hi - lo, starts: { first: windowStartAt(geom, range, breaks, lo), last: windowStartAt(geom, range, breaks, hi - 1) } };
}

/** Batches of an epoch with `windows` windows. */
export function countBatches(windows: number, batchSize: number, dropRemainder: boolean): number {
  return dropRemainder ? Math.floor(windows / batchSize) : Math.ceil(windows / batchSize);
}
