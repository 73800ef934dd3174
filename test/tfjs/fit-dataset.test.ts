import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/tfjs/backend.js';
import { makeTfDataset } from '../../src/tfjs/make-tf-dataset.js';
import { columnsSource } from '../../src/windowing/window-source.js';
import { sharedData } from '../shared-data.js';

/** The Coinbase hourly CSV (`date,unix,low,high,open,close,volume,vol_fiat`) as typed columns. */
function readHourly(file: string) {
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const unix = new Float64Array(lines.length);
  const close = new Float64Array(lines.length);
  const volume = new Float64Array(lines.length);
  lines.forEach((line, i) => {
    const f = line.split(',');
    unix[i] = Number(f[1]) * 1000;
    close[i] = Number(f[5]);
    volume[i] = Number(f[6]);
  });
  return { unix, close, volume };
}

describe('windowing/fitDataset on real hourly BTC data', function () {
  this.timeout(60_000);

  it('trains a small LSTM for 2 epochs through makeTfDataset on wasm and the loss decreases', async function () {
    const dir = sharedData(this, 'btc', 'hourly');
    const cols = readHourly(join(dir, 'coinbase_BTC-USD_1h_2023-12-31_2024-09-11.csv'));
    const report = await initBackend('wasm');
    expect(report.name).to.equal('wasm');
    const startTensors = tf.memory().numTensors;

    const ds = await makeTfDataset(columnsSource(cols, { chunkRows: 500 }), {
      features: ['close', 'volume'],
      targets: ['close'],
      windowSize: 24,
      stride: 6,
      timestampColumn: 'unix',
      maxGap: 3_600_000,
      split: { train: { to: cols.unix[2400]! }, validation: { from: cols.unix[2400]! } },
      normalize: 'zscore',
      batchSize: 32,
      shuffle: true,
      seed: 3,
    });
    expect(ds.windowsPerEpoch).to.be.within(300, 500);

    const seed = 42;
    const model = tf.sequential();
    model.add(tf.layers.lstm({ units: 8, inputShape: [24, 2], kernelInitializer: tf.initializers.glorotUniform({ seed }), recurrentInitializer: tf.initializers.orthogonal({ seed }) }));
    model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const history = await model.fitDataset(ds, { epochs: 2, verbose: 0 });
    const loss = history.history.loss as number[];
    expect(loss).to.have.length(2);
    expect(loss[1]!).to.be.below(loss[0]!);
    expect(ds.state().epoch).to.equal(2);
    model.dispose();
    tf.disposeVariables();
    expect(tf.memory().numTensors).to.equal(startTensors);
  });
});
