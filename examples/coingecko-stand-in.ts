/**
 * A CoinGecko stand-in for the live example: `/simple/price` on 127.0.0.1, answered in the recorded shape
 * (test/fixtures/coingecko/simple_price: `{ bitcoin: { usd, usd_market_cap, usd_24h_vol, usd_24h_change,
 * last_updated_at } }`) from a SyntheticMarketChart on a fast clock: call k in a currency answers hour
 * `firstHour + k` of the synthetic market, so every tick of the collector brings each coin its next hourly
 * price, whatever the tick's real length.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SyntheticMarketChart } from '../src/ingest/index.js';

const HOUR = 3_600_000;

export interface CoinGeckoStandIn {
  /** API root to give the client (`baseUrl`). */
  url: string;
  /** Calls answered so far. */
  calls: number;
  close(): Promise<void>;
}

/** Starts the stand-in; `firstHour` is the hour (epoch ms) its first answer is stamped with. */
export async function startCoinGeckoStandIn(market: SyntheticMarketChart, firstHour: number): Promise<CoinGeckoStandIn> {
  const callsByCurrency = new Map<string, number>();
  const state = { calls: 0 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/simple/price') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `${url.pathname} is not served by the stand-in` }));
        return;
      }
      const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
      const vs = url.searchParams.get('vs_currencies') ?? 'usd';
      const k = callsByCurrency.get(vs) ?? 0;
      callsByCurrency.set(vs, k + 1);
      state.calls++;
      const at = firstHour + k * HOUR;
      const body: Record<string, Record<string, number | null>> = {};
      for (const id of ids) {
        const [row] = await market.marketChartRange({ id, vsCurrency: vs, from: at, to: at });
        if (!row) continue;
        body[id] = { [vs]: row.price_usd, [`${vs}_market_cap`]: row.market_cap, [`${vs}_24h_vol`]: row.total_volume, [`${vs}_24h_change`]: row.price_change_24h, last_updated_at: Math.floor(row.timestamp / 1000) };
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return state.calls;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
