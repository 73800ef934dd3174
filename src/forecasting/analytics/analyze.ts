import { z } from 'zod';
import { ConfigError, parseOptions, type Store, type StoreRef, type WindowSource } from '../../index.js';
import { readOptionsOf, storeReadShape } from '../store-read.js';
import { drawdown } from './drawdown.js';
import { exponentialMovingAverage, simpleMovingAverage } from './moving-average.js';
import { type PriceSeries, readPriceSeries } from './read-series.js';
import { logReturns, periodsPerYearOf, rollingVolatility } from './volatility.js';

/** Options of `analyzeSeries`. */
export const analyzeOptionsShape = {
  /** Default 'timestamp'. */
  timestampColumn: z.string().min(1).default('timestamp'),
  /** Default 'price_usd'. */
  priceColumn: z.string().min(1).default('price_usd'),
  /** Simple moving average windows, in points. Default [24, 168] (a day and a week of hourly data). */
  sma: z.array(z.number().int().min(1), { error: 'must be an array of integers >= 1' }).default([24, 168]),
  /** Exponential moving average spans, in points. Default []. */
  ema: z.array(z.number().min(1), { error: 'must be an array of spans >= 1' }).default([]),
  /** Log returns per volatility window. Default 24. */
  volatilityWindow: z.number().int().min(2, { error: 'must be an integer >= 2' }).default(24),
  /** Annualise the volatility by sqrt(periods per year) from the median time step. Default true. */
  annualize: z.boolean().default(true),
};
const analyzeSchema: z.ZodObject<typeof analyzeOptionsShape, z.core.$strict> = z.strictObject(analyzeOptionsShape);
const analyzeStoreSchema = z.strictObject({ ...storeReadShape, ...analyzeOptionsShape });

/** Options of `analyzeSeries`; see `analyzeOptionsShape`. */
export type AnalyzeOptions = z.input<typeof analyzeSchema>;
/** Options of `analyzeStore`: the analysis and how the store is read (the SDK's read options). */
export type AnalyzeStoreOptions = z.input<typeof analyzeStoreSchema>;

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


const iso = (ms: number | undefined) => (ms === undefined || ms !== ms ? null : new Date(ms).toISOString());

/**
 * Moving averages, rolling volatility and drawdown of a price series held in typed arrays.
 *
 * @example
 * const a = analyzeSeries({ timestamps, prices }, { sma: [24], volatilityWindow: 24 });
 * console.log(a.summary.maxDrawdown);
 */
export function analyzeSeries(series: PriceSeries, options: AnalyzeOptions = {}): SeriesAnalysis {
  const o = parseOptions('analyzeSeries', analyzeSchema, options);
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
 * `analyzeSeries` over a store (or any `WindowSource`): reads its time and price columns batch by batch, with
 * the SDK's read options (`headers`, `filters`, ...) forwarded unchanged.
 *
 * @example
 * const a = await analyzeStore('./out/btc-store', { sma: [24, 168] });
 */
export async function analyzeStore(store: StoreRef | Store | WindowSource, options: AnalyzeStoreOptions = {}): Promise<SeriesAnalysis> {
  const o = parseOptions('analyzeStore', analyzeStoreSchema, options);
  const series = await readPriceSeries(store, { timestampColumn: o.timestampColumn, priceColumn: o.priceColumn }, readOptionsOf(options));
  const { sma, ema, volatilityWindow, annualize, timestampColumn, priceColumn } = o;
  return analyzeSeries(series, { sma, ema, volatilityWindow, annualize, timestampColumn, priceColumn });
}
