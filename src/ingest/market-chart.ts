import { z } from 'zod';
import type { PriceRow } from './price-row.js';
import { describeResponseIssue } from './response-issue.js';

const DAY_MS = 86_400_000;

/**
 * How far from exactly 24 h earlier a point may lie and still count as "the price 24 h ago". Hourly points
 * jitter by minutes and have holes, so an exact match would almost never exist; 30 min picks the nearest hourly
 * point without reaching for one an hour off.
 */
export const CHANGE_TOLERANCE_MS = 30 * 60_000;

const series = z.array(z.tuple([z.number().int(), z.number().finite().nullable()]));
const marketChartSchema = z.object({ prices: series, market_caps: series, total_volumes: series });

/** Outcome of reading one `market_chart`/`market_chart/range` body. */
export type MarketChartParse = { ok: true; rows: PriceRow[]; dropped: number } | { ok: false; problem: string };

/**
 * Joins `prices`, `market_caps` and `total_volumes` (millisecond timestamps) on their timestamps into rows in
 * ascending time order, and derives `price_change_24h` (percent) from the point nearest to 24 h earlier
 * (within `CHANGE_TOLERANCE_MS`), else null. Points without a price or market cap are dropped and counted;
 * a missing volume becomes null. Repeated timestamps keep the last point; `dropped` counts every price point not in `rows`.
 *
 * @example
 * parseMarketChart({ prices: [[0, 10], [86_400_000, 11]], market_caps: [[0, 1], [86_400_000, 1]],
 *   total_volumes: [[0, 5], [86_400_000, 6]] });
 * // rows[1].price_change_24h === 10 (percent)
 */
export function parseMarketChart(body: unknown): MarketChartParse {
  const parsed = marketChartSchema.safeParse(body);
  if (!parsed.success) return { ok: false, problem: describeResponseIssue(parsed.error, body) };
  const { prices, market_caps, total_volumes } = parsed.data;
  const caps = new Map(market_caps.map(([t, v]) => [t, v]));
  const volumes = new Map(total_volumes.map(([t, v]) => [t, v]));
  const byTime = new Map<number, PriceRow>();
  for (const [timestamp, price] of prices) {
    const cap = caps.get(timestamp);
    if (price === null || price < 0 || cap === undefined || cap === null || cap < 0) {
      continue;
    }
    byTime.set(timestamp, { timestamp, price_usd: price, market_cap: cap, price_change_24h: null, total_volume: volumes.get(timestamp) ?? null });
  }
  const rows = [...byTime.values()].sort((a, b) => a.timestamp - b.timestamp);
  derivePriceChange24h(rows);
  return { ok: true, rows, dropped: prices.length - rows.length };
}

/**
 * Sets `price_change_24h` on rows sorted by time: percent change against the row nearest to 24 h earlier,
 * if one lies within `toleranceMs` of that instant and its price is not 0; null otherwise.
 */
export function derivePriceChange24h(rows: PriceRow[], toleranceMs = CHANGE_TOLERANCE_MS): void {
  let j = 0;
  for (let i = 0; i < rows.length; i++) {
    const target = rows[i]!.timestamp - DAY_MS;
    while (j + 1 < i && rows[j + 1]!.timestamp <= target) j++;
    let best = -1;
    let bestDistance = Infinity;
    for (const k of [j, j + 1]) {
      if (k >= i) continue;
      const distance = Math.abs(rows[k]!.timestamp - target);
      if (distance <= toleranceMs && distance < bestDistance) {
        best = k;
        bestDistance = distance;
      }
    }
    const base = best >= 0 ? rows[best]!.price_usd : 0;
    rows[i]!.price_change_24h = base > 0 ? ((rows[i]!.price_usd - base) / base) * 100 : null;
  }
}
