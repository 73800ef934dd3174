import type { ReplayServer, ReplayStep } from './replay-server.js';

/** What the server answered for one series at one call: the row a collector must store (once). */
export interface ServedRow {
  coin: string;
  vs: string;
  /** `last_updated_at` in ms. */
  timestamp: number;
  price: number;
  market_cap: number;
  price_change_24h: number | null;
  total_volume: number | null;
}

/**
 * A `/simple/price` route for several coins and currencies on the replay server, shaped like the recorded
 * answer (`{ bitcoin: { usd, usd_market_cap, usd_24h_vol, usd_24h_change, last_updated_at } }`). Call k in
 * currency vs answers `last_updated_at = t0 + 60·k` s for every coin, unless `script(vs, k)` returns a fault
 * or status step (served as is) or `{ stale: [coins] }` (those coins repeat their previous `last_updated_at`
 * and values). Every row served is in `served`, keyed `coin/vs@ms`.
 */
export class MarketReplay {
  readonly served = new Map<string, ServedRow>();
  readonly calls = new Map<string, number>();
  private readonly previous = new Map<string, ServedRow>();

  constructor(
    server: ReplayServer,
    private readonly t0: number,
    private readonly script: (vs: string, k: number) => ReplayStep | { stale: string[] } | undefined = () => undefined,
  ) {
    server.route('/simple/price', (url) => this.answer(url));
  }

  /** The value of a field of coin in vs at call k: distinct per series and call, nulls on a pattern. */
  static row(coin: string, vs: string, k: number, t: number): ServedRow {
    const c = coin.length;
    const v = vs.charCodeAt(0);
    return {
      coin,
      vs,
      timestamp: t * 1000,
      price: 1000 * c + v + k / 4,
      market_cap: 1e11 * c + k,
      price_change_24h: (k + c) % 4 === 0 ? null : ((k * 3 + c) % 11) - 5.5,
      total_volume: (k + v) % 6 === 0 ? null : 1e9 * c + k,
    };
  }

  private answer(url: URL): ReplayStep {
    const vs = url.searchParams.get('vs_currencies')!;
    const ids = url.searchParams.get('ids')!.split(',');
    const k = this.calls.get(vs) ?? 0;
    this.calls.set(vs, k + 1);
    const step = this.script(vs, k);
    if (step && !('stale' in step)) return step;
    const body: Record<string, Record<string, number | null>> = {};
    for (const coin of ids) {
      const key = `${coin}/${vs}`;
      const row = step?.stale.includes(coin) && this.previous.has(key) ? this.previous.get(key)! : MarketReplay.row(coin, vs, k, this.t0 + 60 * k);
      this.previous.set(key, row);
      this.served.set(`${key}@${row.timestamp}`, row);
      body[coin] = { [vs]: row.price, [`${vs}_market_cap`]: row.market_cap, [`${vs}_24h_vol`]: row.total_volume, [`${vs}_24h_change`]: row.price_change_24h, last_updated_at: row.timestamp / 1000 };
    }
    return { body: JSON.stringify(body) };
  }

  /** Every distinct row served, as `sdkRows` / `duckRows` show rows, sorted by series then time. */
  servedRows(): string[] {
    const text = (v: unknown) => (v === null ? 'null' : String(v));
    return [...this.served.values()]
      .sort((a, b) => (a.coin !== b.coin ? (a.coin < b.coin ? -1 : 1) : a.vs !== b.vs ? (a.vs < b.vs ? -1 : 1) : a.timestamp - b.timestamp))
      .map((r) => [r.coin, r.vs, r.timestamp, r.price, r.market_cap, r.price_change_24h, r.total_volume].map(text).join(','));
  }
}
