import { ConfigError } from '../errors.js';
import { mulberry32, normalSampler } from '../prng.js';
import type { PriceRow } from './price-row.js';

const HOUR = 3_600_000;

export interface SyntheticMarketOptions {
  /** Seed of the series; the same seed gives the same prices on every machine. Default 42. */
  seed?: number;
  /** First hour of the series (epoch ms, aligned down to the hour). Default 2023-01-01T00:00Z. */
  start?: number;
  /** Price at `start`. Default 16,500 (USD, Bitcoin at the start of 2023). */
  startPrice?: number;
}

/**
 * A deterministic, Bitcoin-like hourly market that answers `marketChartRange` like CoinGecko does, so the
 * default pipeline (`npm start`) runs through the same backfill → CSV → store path as a live run, offline.
 * The series is SYNTHETIC: a regime-switching random walk with GARCH(1,1) volatility (long-run ≈ 0.6 %/h,
 * ≈ 56 % annualised, with clusters and occasional 3σ+ jumps), a market cap of price × a slowly growing
 * supply, and a 24-hour volume that rises with absolute returns.
 *
 * @example
 * await backfill({ client: new SyntheticMarketChart({ seed: 7 }), csvPath: 'btc.csv', from, to });
 */
export class SyntheticMarketChart {
  readonly seed: number;
  readonly start: number;
  readonly #startPrice: number;
  readonly #prices: number[] = [];
  readonly #volumes: number[] = [];
  readonly #uniform: () => number;
  readonly #normal: () => number;
  #variance: number;
  #bull = true;

  constructor(options: SyntheticMarketOptions = {}) {
    this.seed = options.seed ?? 42;
    this.start = Math.floor((options.start ?? Date.UTC(2023, 0, 1)) / HOUR) * HOUR;
    this.#startPrice = options.startPrice ?? 16_500;
    if (!(this.#startPrice > 0)) throw new ConfigError(`SyntheticMarketChart: startPrice must be > 0; received ${this.#startPrice}`);
    this.#uniform = mulberry32(this.seed);
    this.#normal = normalSampler(this.#uniform);
    this.#variance = 0.006 ** 2;
  }

  /** Grows the series up to hour index `h` (inclusive). Sequential, so any range is consistent with any other. */
  #extendTo(h: number): void {
    const alpha = 0.08;
    const beta = 0.9;
    const omega = 0.006 ** 2 * (1 - alpha - beta);
    while (this.#prices.length <= h) {
      const i = this.#prices.length;
      if (i === 0) {
        this.#prices.push(this.#startPrice);
        this.#volumes.push(2.5e10);
        continue;
      }
      if (this.#uniform() < 1 / 2_000) this.#bull = !this.#bull;
      const drift = this.#bull ? 6e-5 : -7e-5;
      const jump = this.#uniform() < 0.01 ? 3 : 1;
      const r = drift + Math.sqrt(this.#variance) * this.#normal() * jump;
      this.#variance = omega + alpha * r * r + beta * this.#variance;
      this.#prices.push(this.#prices[i - 1]! * Math.exp(r));
      const target = 2.5e10 * Math.exp(0.25 * this.#normal()) * (1 + 40 * Math.abs(r));
      // A 24-hour rolling volume moves smoothly: blend towards this hour's level.
      this.#volumes.push(this.#volumes[i - 1]! * (23 / 24) + target / 24);
    }
  }

  /** Rows of every hour in `[from, to]` (epoch ms), with `price_change_24h` as a percentage where 24 h of history exist. */
  async marketChartRange(options: { from: number; to: number }): Promise<PriceRow[]> {
    const first = Math.max(0, Math.ceil((options.from - this.start) / HOUR));
    const last = Math.floor((options.to - this.start) / HOUR);
    if (last < first) return [];
    this.#extendTo(last);
    const rows: PriceRow[] = [];
    for (let h = first; h <= last; h++) {
      const price = this.#prices[h]!;
      const supply = 19.25e6 + h * (900 / 24 / 365) * 24; // ~900 BTC mined per day
      rows.push({
        timestamp: this.start + h * HOUR,
        price_usd: Number(price.toFixed(2)),
        market_cap: Math.round(price * supply),
        price_change_24h: h >= 24 ? Number((((price - this.#prices[h - 24]!) / this.#prices[h - 24]!) * 100).toFixed(6)) : null,
        total_volume: Math.round(this.#volumes[h]!),
      });
    }
    return rows;
  }
}
