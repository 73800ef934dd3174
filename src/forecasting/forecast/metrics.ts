/** Error of one forecaster on the test windows, in price units. */
export interface ForecastMetrics {
  /** Mean absolute error. */
  mae: number;
  /** Root mean squared error. */
  rmse: number;
}

/**
 * MAE and RMSE of `forecast` against `actual` (same length).
 *
 * @example
 * forecastMetrics(Float64Array.of(1, 2), Float64Array.of(1, 4)); // { mae: 1, rmse: 1.414... }
 */
export function forecastMetrics(actual: ArrayLike<number>, forecast: ArrayLike<number>): ForecastMetrics {
  const n = actual.length;
  let abs = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const e = forecast[i]! - actual[i]!;
    abs += Math.abs(e);
    sq += e * e;
  }
  return { mae: n ? abs / n : NaN, rmse: n ? Math.sqrt(sq / n) : NaN };
}
