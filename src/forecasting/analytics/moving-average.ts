import { z } from 'zod';
import { ConfigError, parseOptions } from '../../index.js';

const windowSchema = z.object({ window: z.number().int().min(1) });
const emaSchema = z.strictObject({ span: z.number().min(1).optional(), alpha: z.number().gt(0).max(1).optional() });

function checkWindow(fn: string, window: number): void {
  parseOptions(fn, windowSchema, { window });
}

/**
 * Simple moving average: out[i] = mean(values[i−window+1 .. i]); NaN for the first window−1 points and
 * for any window that contains a NaN (a missing value). O(n) with a running sum that is recomputed from
 * scratch every `window` steps so rounding does not drift over millions of points.
 *
 * @example
 * simpleMovingAverage(Float64Array.of(1, 2, 3, 4), 2); // [NaN, 1.5, 2.5, 3.5]
 */
export function simpleMovingAverage(values: ArrayLike<number>, window: number): Float64Array {
  checkWindow('simpleMovingAverage', window);
  const n = values.length;
  const out = new Float64Array(n).fill(NaN);
  let sum = 0;
  let nans = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v !== v) nans++;
    else sum += v;
    if (i >= window) {
      const old = values[i - window]!;
      if (old !== old) nans--;
      else sum -= old;
    }
    if (i >= window - 1 && nans === 0) {
      if (i % window === 0) {
        sum = 0;
        for (let j = i - window + 1; j <= i; j++) sum += values[j]!;
      }
      out[i] = sum / window;
    }
  }
  return out;
}

/** How an exponential moving average weights the newest point. */
export interface EmaOptions {
  /** Pandas' `span`: alpha = 2 / (span + 1). Give `span` or `alpha`. */
  span?: number;
  /** Weight of the newest point, in (0, 1]. */
  alpha?: number;
}

/**
 * Exponential moving average, `ewm(adjust=False)` in pandas terms: out[0] = x[0], out[i] = α·x[i] +
 * (1−α)·out[i−1]. A NaN input carries the previous average forward (the gap is skipped, not zeroed).
 *
 * @example
 * exponentialMovingAverage(Float64Array.of(1, 2, 3), { span: 3 }); // [1, 1.5, 2.25]
 */
export function exponentialMovingAverage(values: ArrayLike<number>, options: EmaOptions): Float64Array {
  const fn = 'exponentialMovingAverage';
  const o = parseOptions(fn, emaSchema, options);
  if ((o.span === undefined) === (o.alpha === undefined)) throw new ConfigError(`${fn}: give exactly one of span, alpha; received ${o.span === undefined ? 'neither' : 'both'}`);
  const alpha = o.alpha ?? 2 / (o.span! + 1);
  const n = values.length;
  const out = new Float64Array(n);
  let ema = NaN;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v === v) ema = ema !== ema ? v : alpha * v + (1 - alpha) * ema;
    out[i] = ema;
  }
  return out;
}
