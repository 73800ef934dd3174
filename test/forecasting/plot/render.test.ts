import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { analyzeSeries } from '../../../src/forecasting/index.js';
import type { SeriesForecastEvaluation } from '../../../src/forecasting/index.js';
import { forecastChartSpec, priceChartSpec, renderSvg, volatilityChartSpec, writeChart } from '../../../src/forecasting/index.js';
import { useTmpDir } from '../../tmp-dir.js';

function series(n: number) {
  const timestamps = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
  const prices = Float64Array.from({ length: n }, (_, i) => 40_000 * Math.exp(0.05 * Math.sin(i / 50) + 0.0001 * i));
  return { timestamps, prices };
}

/** Fraction of pixels that are not white: text and lines were drawn. */
function inkRatio(png: PNG): number {
  let ink = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i]! < 200 || png.data[i + 1]! < 200 || png.data[i + 2]! < 200) ink++;
  return ink / (png.width * png.height);
}

describe('plot/charts', () => {
  const tmp = useTmpDir();
  const label = 'SYNTHETIC DATA (seed 7), not real market prices';

  it('renders price, volatility and forecast charts as well-formed SVG carrying the data label', async () => {
    const a = analyzeSeries(series(1_000), { sma: [24, 168] });
    const n = 300;
    const t = a.timestamps.subarray(700);
    const actual = a.prices.subarray(700);
    const ev: SeriesForecastEvaluation = {
      ids: [],
      timestamps: t,
      actual,
      last: actual,
      forecasts: { lstm: actual.map((v) => v * 1.001), persistence: actual, movingAverage: actual.map((v) => v * 0.99) },
      metrics: { lstm: { mae: 40, rmse: 41 }, persistence: { mae: 0, rmse: 0 }, movingAverage: { mae: 400, rmse: 401 } },
      movingAverageWindow: 24,
      best: { mae: 'persistence', rmse: 'persistence' },
    };
    for (const spec of [priceChartSpec(a, { label }), volatilityChartSpec(a, { label }), forecastChartSpec(ev, { label, lastPoints: n })]) {
      const svg = await renderSvg(spec);
      expect(svg.startsWith('<svg')).to.equal(true);
      expect(svg.trimEnd().endsWith('</svg>')).to.equal(true);
      expect(svg).to.include(label);
      expect(svg).to.match(/<path[^>]+d="M[\d.]+,[\d.]+L/);
      expect(svg.length).to.be.above(10_000);
    }
  });

  it('writes SVG and PNG files; the PNG has the SVG size × 2 and visible lines and text', async () => {
    const a = analyzeSeries(series(2_000));
    const files = await writeChart(priceChartSpec(a, { label }), tmp(), 'price');
    const svg = readFileSync(files.svg, 'utf8');
    const [, w, h] = svg.match(/<svg[^>]*width="(\d+)" height="(\d+)"/)!;
    const bytes = readFileSync(files.png);
    expect(bytes.subarray(0, 8).toString('hex')).to.equal('89504e470d0a1a0a');
    const png = PNG.sync.read(bytes);
    expect([png.width, png.height]).to.deep.equal([Number(w) * 2, Number(h) * 2]);
    expect(bytes.length).to.be.above(20_000);
    expect(inkRatio(png)).to.be.within(0.01, 0.5);
  });
});
