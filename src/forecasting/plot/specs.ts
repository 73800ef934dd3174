import type { TopLevelSpec } from 'vega-lite';
import type { SeriesAnalysis } from '../analytics/analyze.js';
import type { ForecasterName, SeriesForecastEvaluation } from '../forecast/evaluate.js';
import { forecasterLabel } from '../forecast/report.js';

/** What every chart says about its data. */
export interface ChartOptions {
  /**
   * Where the data comes from, shown under the title of every chart (e.g. "SYNTHETIC DATA (seed 42), not
   * real market prices" or "Coinbase BTC-USD hourly candles"). Required: a chart must not hide its source.
   */
  label: string;
  /** Most points per line; longer series keep every k-th point. Default 2,000. */
  maxPoints?: number;
  /** Width of the plot area in pixels. Default 760. */
  width?: number;
  /** What the series is and its price unit, for titles and axes. Default { name: 'BTC', unit: 'USD' }. */
  series?: { name: string; unit: string };
}

type Row = { t: number; series: string; value: number };

/** Fonts tried in order by both vega (layout) and resvg (drawing): DejaVu ships with most Linux images. */
export const CHART_FONT = 'DejaVu Sans, Helvetica, Arial, Liberation Sans, sans-serif';

const BASE = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  config: { font: CHART_FONT, view: { stroke: '#ddd' }, title: { anchor: 'start' as const, subtitleColor: '#b00020' } },
};

function stepFor(n: number, max: number): number {
  return Math.max(1, Math.ceil(n / max));
}

function pushSeries(rows: Row[], t: ArrayLike<number>, values: ArrayLike<number>, series: string, step: number): void {
  for (let i = 0; i < values.length; i += step) {
    const v = values[i]!;
    if (v === v) rows.push({ t: t[i]!, series, value: v });
  }
}

const time = { field: 't', type: 'temporal' as const, title: null, axis: { format: '%Y-%m-%d', labelAngle: 0, tickCount: 6 } };

/**
 * Price with its simple and exponential moving averages.
 *
 * @example
 * await writeChart(priceChartSpec(await analyzeStore(store), { label: 'SYNTHETIC DATA' }), 'out/plots', 'price');
 */
export function priceChartSpec(a: SeriesAnalysis, o: ChartOptions): TopLevelSpec {
  const step = stepFor(a.prices.length, o.maxPoints ?? 2_000);
  const rows: Row[] = [];
  pushSeries(rows, a.timestamps, a.prices, 'price', step);
  for (const [w, v] of a.sma) pushSeries(rows, a.timestamps, v, `SMA ${w}`, step);
  for (const [s, v] of a.ema) pushSeries(rows, a.timestamps, v, `EMA ${s}`, step);
  const order = ['price', ...[...a.sma.keys()].map((w) => `SMA ${w}`), ...[...a.ema.keys()].map((s) => `EMA ${s}`)];
  return {
    ...BASE,
    title: { text: `${o.series?.name ?? 'BTC'} price (${o.series?.unit ?? 'USD'}) with moving averages`, subtitle: o.label },
    width: o.width ?? 760,
    height: 300,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: time,
      y: { field: 'value', type: 'quantitative', title: o.series?.unit ?? 'USD', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, sort: order, scale: { range: ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#b279a2'] }, legend: { orient: 'top-left' } },
      strokeWidth: { condition: { test: "datum.series === 'price'", value: 0.8 }, value: 1.6 },
    },
  };
}

/**
 * Rolling volatility of log returns (annualised when the analysis was) above the drawdown from the running peak.
 *
 * @example
 * await writeChart(volatilityChartSpec(analysis, { label: 'Coinbase BTC-USD hourly' }), 'out/plots', 'volatility');
 */
export function volatilityChartSpec(a: SeriesAnalysis, o: ChartOptions): TopLevelSpec {
  const step = stepFor(a.prices.length, o.maxPoints ?? 2_000);
  const vol: Row[] = [];
  pushSeries(vol, a.timestamps, a.volatility, 'volatility', step);
  const dd: Row[] = [];
  pushSeries(dd, a.timestamps, a.drawdown, 'drawdown', step);
  const volTitle = `${a.volatilityWindow}-point volatility${a.periodsPerYear !== null ? ', annualised' : ''}`;
  const width = o.width ?? 760;
  return {
    ...BASE,
    title: { text: 'BTC volatility and drawdown', subtitle: o.label },
    vconcat: [
      {
        width,
        height: 200,
        data: { values: vol },
        mark: { type: 'line', strokeWidth: 1, color: '#e45756' },
        encoding: { x: time, y: { field: 'value', type: 'quantitative', title: volTitle, axis: { format: '.0%' } } },
      },
      {
        width,
        height: 120,
        data: { values: dd },
        mark: { type: 'area', color: '#4c78a8', opacity: 0.6, line: { color: '#4c78a8', strokeWidth: 0.8 } },
        encoding: { x: time, y: { field: 'value', type: 'quantitative', title: 'drawdown from peak', axis: { format: '.0%' } } },
      },
    ],
  };
}

/**
 * Forecast vs actual over the newest `lastPoints` test windows: the actual next price and the LSTM,
 * persistence and moving-average forecasts, with each one's MAE on the whole test range in the legend.
 *
 * @example
 * await writeChart(forecastChartSpec(evaluation, { label: 'SYNTHETIC DATA' }), 'out/plots', 'forecast');
 */
export function forecastChartSpec(ev: SeriesForecastEvaluation, o: ChartOptions & { lastPoints?: number }): TopLevelSpec {
  const n = ev.actual.length;
  const from = Math.max(0, n - (o.lastPoints ?? 240));
  const t = ev.timestamps.subarray(from);
  const rows: Row[] = [];
  pushSeries(rows, t, ev.actual.subarray(from), 'actual', 1);
  const names: ForecasterName[] = ['lstm', 'persistence', 'movingAverage'];
  const labels = names.map((f) => `${forecasterLabel(f, ev.movingAverageWindow)}: MAE ${ev.metrics[f].mae.toFixed(2)}`);
  names.forEach((f, i) => pushSeries(rows, t, ev.forecasts[f].subarray(from), labels[i]!, 1));
  return {
    ...BASE,
    title: { text: `${o.series ? `${o.series.name}: n` : 'N'}ext-step forecast vs actual, last ${n - from} of ${n} test points (MAE in ${o.series?.unit ?? 'USD'} over all)`, subtitle: o.label },
    width: o.width ?? 760,
    height: 320,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: { ...time, axis: { format: '%m-%d %H:%M', labelAngle: 0, tickCount: 6 } },
      y: { field: 'value', type: 'quantitative', title: o.series?.unit ?? 'USD', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, sort: ['actual', ...labels], scale: { range: ['#222222', '#e45756', '#4c78a8', '#54a24b'] }, legend: { orient: 'top-left', labelLimit: 400 } },
      strokeDash: { condition: { test: "datum.series === 'actual'", value: [1, 0] }, value: [4, 2] },
    },
  };
}
