import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, materializeDataset } from '../../../src/index.js';
import { MarketSchema } from '../../../src/forecasting/index.js';
import { SyntheticMarketChart } from '../../../src/ingest/index.js';
import { readPriceSeries } from '../../../src/forecasting/index.js';
import { evaluateForecaster, forecastNext, loadForecaster, saveForecaster, trainForecaster, type TrainProgress } from '../../../src/forecasting/index.js';
import { importPriceCsv } from '../../../src/forecasting/index.js';
import { sharedData } from '../../shared-data.js';
import { useTmpDir } from '../../tmp-dir.js';

describe('forecast/trainForecaster + evaluateForecaster on real hourly BTC (Coinbase, 6,115 rows)', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  it('trains for 3 epochs with decreasing loss, scores LSTM, persistence and moving average on the same test windows, and round-trips the model', async function () {
    const file = join(sharedData(this, 'btc', 'hourly'), 'coinbase_BTC-USD_1h_2023-12-31_2024-09-11.csv');
    const store = join(tmp(), 'store');
    await importPriceCsv(file, store, { rowGroupSize: 1_000 });
    expect((await initBackend('wasm')).name).to.equal('wasm');
    const tensorsBefore = tf.memory().numTensors;

    const events: TrainProgress[] = [];
    const W = 24;
    const trained = await trainForecaster(store, { epochs: 3, windowSize: W, units: 8, learningRate: 0.003, movingAverageWindow: 12, seed: 42 }, (p) => events.push(p));
    const loss = trained.history.loss;
    expect(loss).to.have.length(3);
    expect(loss[2]!).to.be.below(loss[0]!);
    expect(events.filter((e) => e.kind === 'epoch')).to.have.length(3);
    expect(events[0]).to.deep.include({ kind: 'start', epochs: 3 });

    const ev = await evaluateForecaster(trained, store);
    // Test part: the newest rows after floor(0.7 n) + floor(0.15 n); one lead row for the first log return.
    const n = 6115;
    const testRows = n - Math.floor(0.7 * n) - Math.floor(0.15 * n);
    expect(ev.actual.length).to.equal(testRows - W - 1);
    for (const f of ['lstm', 'persistence', 'movingAverage'] as const) {
      expect(ev.metrics[f].mae, f).to.be.finite.and.above(0);
      expect(ev.metrics[f].rmse, f).to.be.at.least(ev.metrics[f].mae);
    }
    // Every forecast lines up with the raw series: target time, actual price, last price, moving average.
    const { timestamps, prices } = await readPriceSeries(store);
    const index = new Map(Array.from(timestamps, (t, i) => [t, i]));
    for (let i = 0; i < ev.actual.length; i += 97) {
      const row = index.get(ev.timestamps[i]!)!;
      expect(row, `target ${new Date(ev.timestamps[i]!).toISOString()}`).to.be.a('number');
      expect(ev.actual[i]).to.equal(prices[row]);
      expect(ev.forecasts.persistence[i]).to.equal(prices[row - 1]);
      let sum = 0;
      for (let k = row - 12; k < row; k++) sum += prices[k]!;
      expect(ev.forecasts.movingAverage[i]!).to.be.closeTo(sum / 12, 1e-6);
    }
    expect(ev.timestamps[ev.timestamps.length - 1]).to.equal(timestamps[n - 1]);

    const dir = join(tmp(), 'model');
    const saved = await saveForecaster(dir, trained, { label: 'test' });
    expect(saved.files.map((f) => f.slice(dir.length + 1))).to.deep.equal(['model.json', 'weights.bin', 'forecaster.json']);
    expect(JSON.parse(readFileSync(join(dir, 'forecaster.json'), 'utf8')).normalization.columns.price_usd).to.include({ method: 'zscore', logReturn: true });
    const loaded = await loadForecaster(dir);
    expect(loaded.config).to.deep.equal(trained.config);
    const [a, b] = [await forecastNext(trained, store, { steps: 2 }), await forecastNext(loaded, store, { steps: 2 })];
    expect(b).to.deep.equal(a);
    expect(a.lastTimestamp).to.equal(timestamps[n - 1]);
    expect(a.forecasts[0]!.timestamp).to.equal(timestamps[n - 1]! + 3_600_000);
    expect(Math.abs(a.forecasts[0]!.price / prices[n - 1]! - 1)).to.be.below(0.05);

    trained.model.dispose();
    loaded.model.dispose();
    expect(tf.memory().numTensors).to.equal(tensorsBefore);
  });

  it('checks options before reading: unknown option, moving-average window larger than the window, split over 1', async () => {
    const cases: [object, RegExp][] = [
      [{ epoch: 3 }, /trainForecaster: unknown option "epoch"/],
      [{ windowSize: 12, movingAverageWindow: 24 }, /movingAverageWindow \(24\) must be <= windowSize \(12\)/],
      [{ split: { train: 0.8, validation: 0.2, test: 0.2 } }, /split fractions must sum to at most 1/],
      [{ windowSize: 1 }, /windowSize must be an integer >= 2; received 1/],
    ];
    for (const [options, message] of cases) {
      let err: Error | undefined;
      await trainForecaster('/nonexistent/store', options).catch((e: Error) => (err = e));
      expect(err?.message, JSON.stringify(options)).to.match(message);
    }
  });

});

describe('forecast: one global model across the series of a MarketSchema store', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  it('one global model across series: each series scored on its own test range with its own statistics, equal to scoring it alone; forecasts per series', async () => {
    // Three synthetic coins, interleaved in time as a collector writes them, at very different price levels.
    const market = new SyntheticMarketChart({ seed: 9 });
    const hours = 700;
    const coins = ['bitcoin', 'ethereum', 'solana'];
    const perCoin = await Promise.all(coins.map((id) => market.marketChartRange({ id, from: market.start, to: market.start + (hours - 1) * 3_600_000 })));
    const rows = Array.from({ length: hours }, (_, h) => coins.map((coin, k) => ({ coin, vs: 'usd', ...perCoin[k]![h]!, price: perCoin[k]![h]!.price_usd }))).flat().map(({ price_usd: _, ...r }) => r);
    const store = join(tmp(), 'market');
    await materializeDataset(store, MarketSchema, rows, { rowGroupSize: 256 });
    await initBackend('wasm');
    const W = 12;
    const trained = await trainForecaster(store, { epochs: 1, windowSize: W, units: 4, priceColumn: 'price', seriesColumns: ['coin', 'vs'], seed: 1 });
    expect(trained.normalization.by).to.equal('series');
    expect(Object.keys(trained.normalization.series!)).to.deep.equal(coins.map((c) => JSON.stringify([c, 'usd'])));
    // Each coin's own train part (the first ⌊0.7 · 700⌋ of its rows; 0.7 · 700 is 489.99… in floating point, as
    // in sklearn) gives its statistics: one log return fewer than rows.
    for (const c of coins) expect(trained.normalization.series![JSON.stringify([c, 'usd'])]!.price!.count).to.equal(Math.floor(0.7 * hours) - 1);

    const ev = await evaluateForecaster(trained, store);
    expect(ev.series.map((e) => e.ids)).to.deep.equal(coins.map((c) => [c, 'usd']));
    const testRows = hours - Math.floor(0.7 * hours) - Math.floor(0.15 * hours);
    for (const e of ev.series) expect(e.actual.length).to.equal(testRows - W - 1);
    expect(ev.actual.length).to.equal(3 * (testRows - W - 1));
    // The same model scored on one coin's rows alone (row filters): the same forecasts and metrics.
    for (const [k, coin] of coins.entries()) {
      const alone = await evaluateForecaster(trained, store, { filters: [['coin', '=', coin]] });
      expect(alone.series).to.have.length(1);
      expect(Array.from(alone.series[0]!.timestamps)).to.deep.equal(Array.from(ev.series[k]!.timestamps));
      expect(Array.from(alone.series[0]!.forecasts.lstm)).to.deep.equal(Array.from(ev.series[k]!.forecasts.lstm));
      expect(alone.series[0]!.metrics).to.deep.equal(ev.series[k]!.metrics);
      // Persistence is the coin's own previous price: the actual of the window before.
      const a = ev.series[k]!;
      for (let i = 1; i < a.actual.length; i++) expect(a.forecasts.persistence[i]).to.equal(a.actual[i - 1]);
      expect(a.actual[a.actual.length - 1]! / perCoin[k]![hours - 1]!.price_usd).to.be.closeTo(1, 1e-6); // through float32 windows
    }
    const next = await forecastNext(trained, store, { series: ['solana', 'usd'] });
    expect(next.lastPrice).to.be.closeTo(perCoin[2]![hours - 1]!.price_usd, 1e-9);
    expect(Math.abs(next.forecasts[0]!.price / next.lastPrice - 1)).to.be.below(0.05);
    const missing = await forecastNext(trained, store).catch((e: Error) => e);
    expect((missing as Error).message).to.match(/^forecastNext: the forecaster was trained on several series \(coin, vs\); pass series: \[<coin>, <vs>\]/);
    trained.model.dispose();
  });
});
