import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../../src/index.js';
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
