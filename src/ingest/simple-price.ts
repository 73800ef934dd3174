import { z } from 'zod';
import type { PriceRow } from './price-row.js';
import { describeResponseIssue } from './response-issue.js';

const price = z.number().finite().nonnegative();

function coinSchema(cur: string) {
  return z.object({
    [cur]: price,
    [`${cur}_market_cap`]: price,
    [`${cur}_24h_vol`]: price.nullable(),
    [`${cur}_24h_change`]: z.number().finite().nullable(),
    last_updated_at: z.number().int().positive(),
  });
}

/** Outcome of reading one `/simple/price` body: the rows, or why the body is unusable. */
export type SimplePriceParse = { ok: true; rows: Record<string, PriceRow> } | { ok: false; problem: string };

/**
 * Turns a `/simple/price` body (requested with market cap, 24 h volume, 24 h change and last-updated time) into
 * one row per coin. `timestamp` is `last_updated_at` (UNIX seconds) in milliseconds; `usd_24h_change` and
 * `usd_24h_vol` may be null (CoinGecko sends null for a stale price). Every requested coin must be present.
 *
 * @example
 * parseSimplePrice({ bitcoin: { usd: 67187.3, usd_market_cap: 1.3e12, usd_24h_vol: 3.1e10,
 *   usd_24h_change: 3.6, last_updated_at: 1711356300 } }, ['bitcoin'], 'usd');
 * // { ok: true, rows: { bitcoin: { timestamp: 1711356300000, price_usd: 67187.3, ... } } }
 */
export function parseSimplePrice(body: unknown, ids: readonly string[], vsCurrency: string): SimplePriceParse {
  const cur = vsCurrency.toLowerCase();
  const schema = z.object(Object.fromEntries(ids.map((id) => [id, coinSchema(cur)])));
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { ok: false, problem: describeResponseIssue(parsed.error, body) };
  const rows: Record<string, PriceRow> = {};
  for (const id of ids) {
    const coin = parsed.data[id] as Record<string, number | null>;
    rows[id] = {
      timestamp: (coin.last_updated_at as number) * 1000,
      price_usd: coin[cur] as number,
      market_cap: coin[`${cur}_market_cap`] as number,
      price_change_24h: coin[`${cur}_24h_change`] ?? null,
      total_volume: coin[`${cur}_24h_vol`] ?? null,
    };
  }
  return { ok: true, rows };
}
