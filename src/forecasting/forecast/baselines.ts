import { z } from 'zod';
import { ConfigError, parseOptions } from '../../index.js';

const kSchema = z.object({ k: z.number().int().min(1) });

/**
 * Baselines scored on exactly the windows the LSTM sees. `levels` holds the windows' prices, window after
 * window: `levels[w * windowSize + t]` is step t of window w.
 */

/**
 * Persistence ("tomorrow is like today"): the next price is the window's last price. On a random walk
 * nothing beats it on average, which makes it the bar a price forecaster has to clear.
 *
 * @example
 * persistenceForecast(Float32Array.of(1, 2, 3, 4), 2); // [2, 4]
 */
export function persistenceForecast(levels: ArrayLike<number>, windowSize: number): Float64Array {
  const n = Math.floor(levels.length / windowSize);
  const out = new Float64Array(n);
  for (let w = 0; w < n; w++) out[w] = levels[w * windowSize + windowSize - 1]!;
  return out;
}

/**
 * Moving-average forecast: the next price is the mean of the window's last `k` prices.
 *
 * @example
 * movingAverageForecast(Float32Array.of(1, 2, 3, 4), 2, 2); // [1.5, 3.5]
 */
export function movingAverageForecast(levels: ArrayLike<number>, windowSize: number, k: number): Float64Array {
  parseOptions('movingAverageForecast', kSchema, { k });
  if (k > windowSize) throw new ConfigError(`movingAverageForecast: k must be <= windowSize (${windowSize}): the average is of prices inside the window; received ${k}`);
  const n = Math.floor(levels.length / windowSize);
  const out = new Float64Array(n);
  for (let w = 0; w < n; w++) {
    let sum = 0;
    const end = w * windowSize + windowSize;
    for (let i = end - k; i < end; i++) sum += levels[i]!;
    out[w] = sum / k;
  }
  return out;
}
