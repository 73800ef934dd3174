import { z } from 'zod';
import { parseOptions } from '../../index.js';

const rollingVolatilitySchema = z.strictObject({ window: z.number().int().min(2), periodsPerYear: z.number().gt(0).optional() });

/**
 * Log returns ln(x[i] / x[i−1]); out[0] is NaN, and so is any return touching a NaN or non-positive price.
 *
 * @example
 * logReturns(Float64Array.of(100, 110, 99)); // [NaN, 0.0953, -0.1054]
 */
export function logReturns(prices: ArrayLike<number>): Float64Array {
  const n = prices.length;
  const out = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n; i++) {
    const a = prices[i - 1]!;
    const b = prices[i]!;
    if (a > 0 && b > 0) out[i] = Math.log(b / a);
  }
  return out;
}

/** Options of `rollingVolatility`. */
export interface RollingVolatilityOptions {
  /** Returns per window (e.g. 24 for a day of hourly data). Required, integer >= 2. */
  window: number;
  /**
   * Multiply by sqrt(periodsPerYear) to annualise (e.g. 8,766 for hourly crypto, which trades 24/7;
   * `periodsPerYearOf` derives it from timestamps). Default: not annualised.
   */
  periodsPerYear?: number;
}

/**
 * Rolling volatility: the sample standard deviation (divides by window − 1, like pandas `rolling().std()`)
 * of the last `window` log returns of `prices`, optionally annualised. NaN until `window` returns exist
 * and for windows holding a NaN. Running sums of shifted values keep it O(n) and precise.
 *
 * @example
 * const vol = rollingVolatility(close, { window: 24, periodsPerYear: 8766 }); // annualised 1-day vol, hourly data
 */
export function rollingVolatility(prices: ArrayLike<number>, options: RollingVolatilityOptions): Float64Array {
  const { window, periodsPerYear } = parseOptions('rollingVolatility', rollingVolatilitySchema, options);
  const r = logReturns(prices);
  const n = r.length;
  const out = new Float64Array(n).fill(NaN);
  const factor = periodsPerYear === undefined ? 1 : Math.sqrt(periodsPerYear);
  // Welford-style window update: exact add/remove of each return on running mean and M2.
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let nans = 0;
  for (let i = 0; i < n; i++) {
    const v = r[i]!;
    if (v !== v) nans++;
    else {
      count++;
      const d = v - mean;
      mean += d / count;
      m2 += d * (v - mean);
    }
    if (i >= window) {
      const old = r[i - window]!;
      if (old !== old) nans--;
      else {
        count--;
        if (count === 0) {
          mean = 0;
          m2 = 0;
        } else {
          const d = old - mean;
          mean -= d / count;
          m2 -= d * (old - mean);
        }
      }
    }
    if (i >= window && nans === 0 && count === window) out[i] = Math.sqrt(Math.max(0, m2) / (window - 1)) * factor;
  }
  return out;
}

/** Milliseconds in an average year (365.25 days): crypto markets trade around the clock. */
export const MS_PER_YEAR = 365.25 * 24 * 3_600_000;

/**
 * Periods per year implied by the median spacing of `timestamps` (epoch ms): 8,766 for hourly points,
 * 365.25 for daily ones. NaN for fewer than two points.
 */
export function periodsPerYearOf(timestamps: ArrayLike<number>): number {
  const n = timestamps.length;
  if (n < 2) return NaN;
  const step = Math.max(1, Math.floor(n / 2_001));
  const gaps: number[] = [];
  for (let i = step; i < n; i += step) gaps.push((timestamps[i]! - timestamps[i - step]!) / step);
  gaps.sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1]!;
  return median > 0 ? MS_PER_YEAR / median : NaN;
}
