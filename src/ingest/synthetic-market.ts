import { ConfigError } from '../errors.js';
import { mulberry32, normalSampler } from '../prng.js';
import type { PriceRow } from './price-row.js';

const HOUR = 3_600_000;

/** One synthetic coin: its price at `start`, supply, how strongly it follows the market factor and how volatile it is. */
export interface SyntheticCoin {
  /** Price at `start`, in USD. */
  startPrice: number;
  /** Coins in circulation at `start`; grows by `supplyPerHour`. */
  supply: number;
  supplyPerHour: number;
  /** Correlation of the coin's hourly shocks with the market factor, in [0, 1]. */
  marketLoading: number;
  /** Long-run hourly volatility (e.g. 0.006 = 0.6 %/h). */
  hourlyVolatility: number;
  /** Typical 24-hour volume in USD. */
  volumeUsd: number;
}

/** Bitcoin, Ethereum and Solana as of the start of 2023, roughly: enough to look like the market, not to be it. */
export const SYNTHETIC_COINS: Readonly<Record<string, SyntheticCoin>> = {
  bitcoin: { startPrice: 16_500, supply: 19.25e6, supplyPerHour: 900 / 24, marketLoading: 0.9, hourlyVolatility: 0.006, volumeUsd: 2.5e10 },
  ethereum: { startPrice: 1_200, supply: 120.5e6, supplyPerHour: 0, marketLoading: 0.85, hourlyVolatility: 0.0075, volumeUsd: 8e9 },
  solana: { startPrice: 10, supply: 3.65e8, supplyPerHour: 3_000, marketLoading: 0.7, hourlyVolatility: 0.012, volumeUsd: 5e8 },
};

/** Quote currencies: USD per unit at `start` (a seeded walk of 0.1 %/h afterwards). */
const QUOTES: Readonly<Record<string, number>> = { usd: 1, eur: 1.07, gbp: 1.21 };

export interface SyntheticMarketOptions {
  /** Seed of the market; the same seed gives the same prices on every machine. Default 42. */
  seed?: number;
  /** First hour of the series (epoch ms, aligned down to the hour). Default 2023-01-01T00:00Z. */
  start?: number;
  /** The coins it answers for (CoinGecko ids). Default `SYNTHETIC_COINS`: bitcoin, ethereum, solana. */
  coins?: Record<string, SyntheticCoin>;
  /** Bitcoin's price at `start` (kept for single-coin callers). Default 16,500. */
  startPrice?: number;
}

/** The hourly log-return paths shared by every coin: the market factor and the bull/bear regime. */
interface MarketPath {
  factor: number[];
  bull: boolean[];
}

/**
 * A deterministic, seeded market of several coins and quote currencies that answers `marketChartRange` like
 * CoinGecko does, so the default pipeline (`npm start`) runs through the same backfill path as a live run,
 * offline. The series are SYNTHETIC: each coin's hourly log return is a shared market factor plus its own
 * shock (correlations of about 0.6–0.77 between coins: products of the loadings), with a shared bull/bear regime, GARCH(1,1) volatility per
 * coin (clusters and occasional 3σ+ jumps), a market cap of price × a growing supply, and a 24-hour volume
 * that rises with absolute returns. Prices in EUR or GBP divide by a seeded exchange-rate walk.
 *
 * @example
 * const market = new SyntheticMarketChart({ seed: 7 });
 * await backfill({ client: market, id: 'ethereum', vsCurrency: 'eur', csvPath: 'eth-eur.csv', from, to });
 */
export class SyntheticMarketChart {
  readonly seed: number;
  readonly start: number;
  readonly coins: Readonly<Record<string, SyntheticCoin>>;
  readonly #market: MarketPath = { factor: [], bull: [] };
  readonly #marketUniform: () => number;
  readonly #marketNormal: () => number;
  readonly #series = new Map<string, { prices: number[]; volumes: number[]; variance: number; normal: () => number; uniform: () => number }>();
  readonly #quotes = new Map<string, number[]>();

  constructor(options: SyntheticMarketOptions = {}) {
    this.seed = options.seed ?? 42;
    this.start = Math.floor((options.start ?? Date.UTC(2023, 0, 1)) / HOUR) * HOUR;
    const coins = { ...(options.coins ?? SYNTHETIC_COINS) };
    if (options.startPrice !== undefined) {
      if (!(options.startPrice > 0)) throw new ConfigError(`SyntheticMarketChart: startPrice must be > 0; received ${options.startPrice}`);
      coins.bitcoin = { ...(coins.bitcoin ?? SYNTHETIC_COINS.bitcoin!), startPrice: options.startPrice };
    }
    for (const [id, c] of Object.entries(coins)) {
      if (!(c.startPrice > 0) || !(c.marketLoading >= 0 && c.marketLoading <= 1) || !(c.hourlyVolatility > 0)) {
        throw new ConfigError(`SyntheticMarketChart: coin "${id}" needs startPrice > 0, marketLoading in [0, 1] and hourlyVolatility > 0`);
      }
    }
    this.coins = coins;
    this.#marketUniform = mulberry32(this.seed);
    this.#marketNormal = normalSampler(this.#marketUniform);
  }

  /** Grows the shared market path up to hour `h` (inclusive); sequential, so every range agrees with every other. */
  #extendMarket(h: number): void {
    const m = this.#market;
    while (m.factor.length <= h) {
      const bull = m.bull.length === 0 ? true : this.#marketUniform() < 1 / 2_000 ? !m.bull[m.bull.length - 1] : m.bull[m.bull.length - 1]!;
      m.bull.push(bull);
      m.factor.push(this.#marketNormal());
    }
  }

  #coinSeries(id: string) {
    let s = this.#series.get(id);
    if (s) return s;
    const coin = this.coins[id];
    if (!coin) throw new ConfigError(`SyntheticMarketChart: no synthetic coin "${id}"; it has ${Object.keys(this.coins).join(', ')}`);
    // Each coin's own shocks come from its own stream: adding a coin never changes another's prices.
    let h = this.seed >>> 0;
    for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 0x9e3779b1) >>> 0;
    const uniform = mulberry32(h);
    s = { prices: [], volumes: [], variance: coin.hourlyVolatility ** 2, normal: normalSampler(uniform), uniform };
    this.#series.set(id, s);
    return s;
  }

  /** Grows coin `id` up to hour `h` (inclusive). */
  #extendCoin(id: string, h: number): { prices: number[]; volumes: number[] } {
    const coin = this.coins[id]!;
    const s = this.#coinSeries(id);
    this.#extendMarket(h);
    const alpha = 0.08;
    const beta = 0.9;
    const longRun = coin.hourlyVolatility ** 2;
    const omega = longRun * (1 - alpha - beta);
    const own = Math.sqrt(1 - coin.marketLoading ** 2);
    while (s.prices.length <= h) {
      const i = s.prices.length;
      if (i === 0) {
        s.prices.push(coin.startPrice);
        s.volumes.push(coin.volumeUsd);
        continue;
      }
      const drift = this.#market.bull[i]! ? 6e-5 : -7e-5;
      const jump = s.uniform() < 0.01 ? 3 : 1;
      const shock = coin.marketLoading * this.#market.factor[i]! + own * s.normal();
      const r = drift + Math.sqrt(s.variance) * shock * jump;
      s.variance = omega + alpha * r * r + beta * s.variance;
      s.prices.push(s.prices[i - 1]! * Math.exp(r));
      const target = coin.volumeUsd * Math.exp(0.25 * s.normal()) * (1 + 40 * Math.abs(r));
      // A 24-hour rolling volume moves smoothly: blend towards this hour's level.
      s.volumes.push(s.volumes[i - 1]! * (23 / 24) + target / 24);
    }
    return s;
  }

  /** USD per unit of `vs` at hours 0..h. */
  #extendQuote(vs: string, h: number): number[] {
    const at0 = QUOTES[vs];
    if (at0 === undefined) throw new ConfigError(`SyntheticMarketChart: no synthetic quote currency "${vs}"; it has ${Object.keys(QUOTES).join(', ')}`);
    const cached = this.#quotes.get(vs);
    if (cached && cached.length > h) return cached;
    if (vs === 'usd') return this.#quotes.set(vs, new Array<number>(h + 1).fill(1)).get(vs)!;
    let h0 = this.seed >>> 0;
    for (const ch of `fx:${vs}`) h0 = Math.imul(h0 ^ ch.charCodeAt(0), 0x85ebca6b) >>> 0;
    const normal = normalSampler(mulberry32(h0));
    // Replayed from hour 0, so the rate path is the same whatever range is asked first.
    const path = [at0];
    while (path.length <= h) path.push(path[path.length - 1]! * Math.exp(0.001 * normal()));
    this.#quotes.set(vs, path);
    return path;
  }

  /** Rows of every hour in `[from, to]` (epoch ms) of coin `id` (default bitcoin) in `vsCurrency` (default usd). */
  async marketChartRange(options: { id?: string; vsCurrency?: string; from: number; to: number }): Promise<PriceRow[]> {
    const id = options.id ?? 'bitcoin';
    const vs = options.vsCurrency ?? 'usd';
    const first = Math.max(0, Math.ceil((options.from - this.start) / HOUR));
    const last = Math.floor((options.to - this.start) / HOUR);
    this.#coinSeries(id);
    const quote = this.#extendQuote(vs, Math.max(0, last));
    if (last < first) return [];
    const { prices, volumes } = this.#extendCoin(id, last);
    const coin = this.coins[id]!;
    const rows: PriceRow[] = [];
    for (let h = first; h <= last; h++) {
      const fx = quote[h]!;
      const price = prices[h]! / fx;
      const supply = coin.supply + h * coin.supplyPerHour;
      const dayAgo = h >= 24 ? prices[h - 24]! / quote[h - 24]! : null;
      rows.push({
        timestamp: this.start + h * HOUR,
        price_usd: Number(price.toPrecision(8)),
        market_cap: Math.round(price * supply),
        price_change_24h: dayAgo === null ? null : Number((((price - dayAgo) / dayAgo) * 100).toFixed(6)),
        total_volume: Math.round(volumes[h]! / fx),
      });
    }
    return rows;
  }
}
