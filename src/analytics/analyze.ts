import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseOptions } from '../windowing/zod-config.js';
import type { WindowSource } from '../windowing/window-source.js';
import { drawdown } from './drawdown.js';
import { exponentialMovingAverage, simpleMovingAverage } from './moving-average.js';
import { type PriceSeries, readPriceSeries } from './read-series.js';
import { logReturns, periodsPerYearOf, rollingVolatility } from './volatility.js';

const optionsSchema = z.strictObject({
  timestampColumn: z.string().min(1).default('timestamp'),
  priceColumn: z.string().min(1).default('price_usd'),
  sma: z.array(z.number().int().min(1), { error: 'must be an array of integers >= 1' }).default([24, 168]),
  ema: z.array(z.number().min(1), { error: 'must be an array of spans >= 1' }).default([]),
  volatilityWindow: z.number().int().min(2, { error: 'must be an integer >= 2' }).default(24),
  annualize: z.boolean().default(true),
});

/** Options of `analyzeSeries` / `analyzeStore`. */
export interface AnalyzeOptions {
  /** Default 'timestamp'. */
  timestampColumn?: string;
  /** Default 'price_usd'. */
  priceColumn?: string;
  /** Simple moving average windows, in points. Default [24, 168] (a day and a week of hourly data). */
  sma?: number[];
  /** Exponential moving average spans, in points. Default []. */
  ema?: number[];
  /** Log returns per volatility window. Default 24. */
  volatilityWindow?: number;
  /** Annualise the volatility by sqrt(periods per year) from the median time step. Default true. */
  annualize?: boolean;
}

/** Moving averages, volatility and drawdown of one price series, all aligned with `timestamps`. */
export interface SeriesAnalysis extends PriceSeries {
  /** Window (points) → SMA. */
  sma: Map<number, Float64Array>;
  /** Span (points) → EMA. */
  ema: Map<number, Float64Array>;
  volatility: Float64Array;
  volatilityWindow: number;
  /** The annualisation factor's periods per year, or null when not annualised. */
  periodsPerYear: number | null;
  drawdown: Float64Array;
  summary: SeriesSummary;
}

/** One-line facts about the series, JSON-friendly. */
export interface SeriesSummary {
  rows: number;
  from: string | null;
  to: string | null;
  firstPrice: number;
  lastPrice: number;
  minPrice: number;
  maxPrice: number;
  totalReturn: number;
  /** Std of all log returns, annualised when `periodsPerYear` is set. */
  volatility: number;
  maxDrawdown: number;
  maxDrawdownPeak: string | null;
  maxDrawdownTrough: string | null;
}

function parse(fn: string, options: AnalyzeOptions) {
  return parseOptions(fn, optionsSchema, options);
}

const iso = (ms: number | undefined) => (ms === undefined || ms !== ms ? null : new Date(ms).toISOString());

/**
 * Moving averages, rolling volatility and drawdown of a price series held in typed arrays.
 *
 * @example
 * const a = analyzeSeries({ timestamps, prices }, { sma: [24], volatilityWindow: 24 });
 * console.log(a.summary.maxDrawdown);
 */
export function analyzeSeries(series: PriceSeries, options: AnalyzeOptions = {}): SeriesAnalysis {
  const o = parse('analyzeSeries', options);
  const { timestamps, prices } = series;
  if (timestamps.length !== prices.length) throw new ConfigError(`analyzeSeries: timestamps has ${timestamps.length} points but prices has ${prices.length}`);
  const n = prices.length;
  const ppy = o.annualize ? periodsPerYearOf(timestamps) : NaN;
  const periodsPerYear = ppy === ppy ? ppy : null;
  const sma = new Map(o.sma.map((w) => [w, simpleMovingAverage(prices, w)] as const));
  const ema = new Map(o.ema.map((s) => [s, exponentialMovingAverage(prices, { span: s })] as const));
  const volatility = n > o.volatilityWindow ? rollingVolatility(prices, { window: o.volatilityWindow, periodsPerYear: periodsPerYear ?? undefined }) : new Float64Array(n).fill(NaN);
  const dd = drawdown(prices);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = prices[i]!;
    if (p < min) min = p;
    if (p > max) max = p;
  }
  const r = logReturns(prices);
  let count = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = r[i]!;
    if (v !== v) continue;
    count++;
    sum += v;
    sumSq += v * v;
  }
  const std = count > 1 ? Math.sqrt(Math.max(0, (sumSq - (sum * sum) / count) / (count - 1))) : NaN;
  return {
    timestamps,
    prices,
    sma,
    ema,
    volatility,
    volatilityWindow: o.volatilityWindow,
    periodsPerYear,
    drawdown: dd.drawdown,
    summary: {
      rows: n,
      from: iso(timestamps[0]),
      to: iso(timestamps[n - 1]),
      firstPrice: n ? prices[0]! : NaN,
      lastPrice: n ? prices[n - 1]! : NaN,
      minPrice: n ? min : NaN,
      maxPrice: n ? max : NaN,
      totalReturn: n ? prices[n - 1]! / prices[0]! - 1 : NaN,
      volatility: std * Math.sqrt(periodsPerYear ?? 1),
      maxDrawdown: dd.maxDrawdown,
      maxDrawdownPeak: dd.peakIndex >= 0 ? iso(timestamps[dd.peakIndex]) : null,
      maxDrawdownTrough: dd.troughIndex >= 0 ? iso(timestamps[dd.troughIndex]) : null,
    },
  };
}

/**
 * `analyzeSeries` over a store (path or `WindowSource`): reads its time and price columns batch by batch.
 *
 * @example
 * const a = await analyzeStore('./out/btc-store', { sma: [24, 168] });
 */
export async function analyzeStore(store: string | WindowSource, options: AnalyzeOptions = {}): Promise<SeriesAnalysis> {
  const o = parse('analyzeStore', options);
  const series = await readPriceSeries(store, { timestampColumn: o.timestampColumn, priceColumn: o.priceColumn });
  return analyzeSeries(series, options);
}
