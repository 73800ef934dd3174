// The LSTM example's data wait: model.fitDataset over makeTfDataset(store) on the wasm backend, LSTM(32) →
// Dense(1), with the dataset's iterator wrapped to time every next(). Wait share = time inside next() /
// fitDataset time. 5 warm-up batches, then `fitBatches` timed batches.
import * as tf from '@tensorflow/tfjs';
import { makeTfDataset } from '../../src/index.js';
import { type CaseMeasure, type CaseParams, now } from '../measure.js';
import { storeSource } from './store-source.js';
import { sdkOptions } from './windows.js';

/** Forwards to `inner`, adding the time spent in `iterator()` and every `next()` to `waitSeconds`. */
class TimedDataset<T extends tf.TensorContainer> extends tf.data.Dataset<T> {
  waitSeconds = 0;
  /** Wait of the first batch of the last iterator (epoch start: opening the store, starting decode workers). */
  firstWaitSeconds = 0;
  override readonly size: number;

  constructor(private readonly inner: tf.data.Dataset<T>) {
    super();
    this.size = inner.size;
  }

  override async iterator(): ReturnType<tf.data.Dataset<T>['iterator']> {
    const t0 = now();
    const it = await this.inner.iterator();
    const opening = now() - t0;
    this.waitSeconds += opening;
    const next = it.next.bind(it);
    let first = true;
    it.next = async () => {
      const t = now();
      const r = await next();
      const waited = now() - t;
      this.waitSeconds += waited;
      if (first) this.firstWaitSeconds = opening + waited;
      first = false;
      return r;
    };
    return it;
  }
}

export default async function fit(p: CaseParams): Promise<CaseMeasure> {
  const base = await makeTfDataset(await storeSource(p), { ...sdkOptions(p), normalize: 'zscore' });
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: 32, inputShape: [p.window, p.features] }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  await model.fitDataset(base, { epochs: 1, batchesPerEpoch: 5, verbose: 0 });
  const ds = new TimedDataset(base);
  const t0 = now();
  await model.fitDataset(ds, { epochs: 1, batchesPerEpoch: p.fitBatches, verbose: 0 });
  const seconds = now() - t0;
  model.dispose();
  const windows = p.fitBatches * p.batch;
  return {
    windows,
    rows: windows,
    bytes: windows * p.window * p.features * 4,
    seconds,
    capped: true,
    extra: { waitSeconds: ds.waitSeconds, waitShare: ds.waitSeconds / seconds, firstBatchWaitSeconds: ds.firstWaitSeconds, steadyWaitShare: (ds.waitSeconds - ds.firstWaitSeconds) / seconds, msPerBatch: (seconds / p.fitBatches) * 1000, batches: p.fitBatches },
  };
}
