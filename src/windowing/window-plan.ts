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

/**
 * Starts that form windows in `range`: s = range.start + lead + k·stride, the whole span (and the lead
 * row) inside the range, and no segment break b (a gap > maxGap before row b) with s − lead < b <= s + span − 1.
 * The same rule, row by row, is `WindowAssembler`'s; this closed form gives `size` before any window is built.
 */
export function countWindows(geom: WindowGeometry, range: RowRange, breaks: readonly number[]): number {
  const anchor = range.start + geom.lead;
  const lastStart = range.end - geom.span; // inclusive
  if (lastStart < anchor) return 0;
  let total = 0;
  let segStart = 0;
  for (let k = 0; k <= breaks.length; k++) {
    const segEnd = k < breaks.length ? breaks[k]! : Infinity;
    const lo = Math.max(anchor, segStart + geom.lead);
    const hi = Math.min(lastStart, segEnd - geom.span);
    if (hi >= lo) {
      const first = anchor + Math.ceil((lo - anchor) / geom.stride) * geom.stride;
      if (first <= hi) total += Math.floor((hi - first) / geom.stride) + 1;
    }
    segStart = segEnd;
    if (segStart > lastStart) break;
  }
  return total;
}

/** Batches of an epoch with `windows` windows. */
export function countBatches(windows: number, batchSize: number, dropRemainder: boolean): number {
  return dropRemainder ? Math.floor(windows / batchSize) : Math.ceil(windows / batchSize);
}
