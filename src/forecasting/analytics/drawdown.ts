/** Drawdown series and its worst point. */
export interface DrawdownResult {
  /** price / running peak − 1 (0 at a new high, −0.25 when 25 % below it); NaN where the price is NaN. */
  drawdown: Float64Array;
  /** The most negative value of `drawdown` (0 for a series that only rises). */
  maxDrawdown: number;
  /** Index of the peak before the worst drawdown. */
  peakIndex: number;
  /** Index where the worst drawdown is reached. */
  troughIndex: number;
}

/**
 * Drawdown from the running maximum. NaN prices are skipped (they neither set a peak nor a trough).
 *
 * @example
 * drawdown(Float64Array.of(100, 120, 90, 130)).maxDrawdown; // -0.25 (120 → 90)
 */
export function drawdown(prices: ArrayLike<number>): DrawdownResult {
  const n = prices.length;
  const out = new Float64Array(n).fill(NaN);
  let peak = -Infinity;
  let peakAt = -1;
  let worst = 0;
  let worstPeak = -1;
  let worstAt = -1;
  for (let i = 0; i < n; i++) {
    const p = prices[i]!;
    if (p !== p) continue;
    if (p > peak) {
      peak = p;
      peakAt = i;
    }
    const dd = p / peak - 1;
    out[i] = dd;
    if (dd < worst) {
      worst = dd;
      worstPeak = peakAt;
      worstAt = i;
    }
  }
  return { drawdown: out, maxDrawdown: worst, peakIndex: worstPeak, troughIndex: worstAt };
}
