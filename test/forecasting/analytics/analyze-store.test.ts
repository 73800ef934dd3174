import { expect } from 'chai';
import { join } from 'node:path';
import { BitcoinSchema } from '../../../src/forecasting/index.js';
import { materializeDataset } from '../../../src/index.js';
import { analyzeSeries, analyzeStore, readPriceSeries, simpleMovingAverage } from '../../../src/forecasting/index.js';
import { useTmpDir } from '../../tmp-dir.js';

describe('analytics/analyzeStore', () => {
  const tmp = useTmpDir();

  it('reads a multi-row-group store through the loader and equals the in-memory analysis', async () => {
    const n = 2_500;
    const timestamp = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
    const price_usd = Float32Array.from({ length: n }, (_, i) => 40_000 + 500 * Math.sin(i / 30) + i);
    const market_cap = Float64Array.from(price_usd, (p) => p * 19.6e6);
    const store = join(tmp(), 'store');
    await materializeDataset(store, BitcoinSchema, { numRows: n, columns: { timestamp, price_usd, market_cap, price_change_24h: new Float32Array(n).fill(NaN), total_volume: new Float64Array(n).fill(NaN) } }, { rowGroupSize: 700 });

    const series = await readPriceSeries(store);
    expect(Array.from(series.timestamps)).to.deep.equal(Array.from(timestamp));
    expect(Array.from(series.prices)).to.deep.equal(Array.from(price_usd));

    const a = await analyzeStore(store, { sma: [24], ema: [12], volatilityWindow: 24 });
    const b = analyzeSeries({ timestamps: timestamp, prices: Float64Array.from(price_usd) }, { sma: [24], ema: [12], volatilityWindow: 24 });
    expect(Array.from(a.sma.get(24)!)).to.deep.equal(Array.from(simpleMovingAverage(Float64Array.from(price_usd), 24)));
    expect(Array.from(a.volatility)).to.deep.equal(Array.from(b.volatility));
    expect(a.periodsPerYear).to.be.closeTo(8766, 1e-9);
    expect(a.summary.rows).to.equal(n);
    expect(a.summary.from).to.equal('2024-01-01T00:00:00.000Z');
    expect(a.summary.lastPrice).to.equal(price_usd[n - 1]);
    expect(a.summary.maxDrawdown).to.be.below(0);
  });

  it('names the missing column and the available ones', async () => {
    const store = join(tmp(), 'store');
    await materializeDataset(store, BitcoinSchema, [{ timestamp: 0, price_usd: 1, market_cap: 2 }]);
    let err: Error | undefined;
    await analyzeStore(store, { priceColumn: 'close' }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/readPriceSeries: column "close" is not in the store; available: timestamp, price_usd, market_cap/);
  });
});
