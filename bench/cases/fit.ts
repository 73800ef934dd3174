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

function lstmModel(p: CaseParams): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: 32, inputShape: [p.window, p.features] }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return model;
}

/** Decode workers the `fitWorkers` comparison trains with: the SDK's default, none, two. */
const WORKER_SETTINGS = [
  { key: 'Default', workers: undefined },
  { key: 'W0', workers: 0 },
  { key: 'W2', workers: 2 },
] as const;
const COMPARE_ROUNDS = 5;

/**
 * One model trained in turns from three datasets of the same store that differ only in their decode workers,
 * `fitBatches / 5` batches at a time, five rounds, the order rotated each round: the machine's drift over a
 * run (±15 % here between processes) falls on every setting alike. Reports each setting's training seconds and
 * the best setting's speed ÷ the default's (1 when the default is the best), with its spread over the rounds.
 */
async function compareWorkers(p: CaseParams): Promise<CaseMeasure> {
  const model = lstmModel(p);
  const datasets = await Promise.all(WORKER_SETTINGS.map(async (w) => makeTfDataset(await storeSource({ ...p, sdkWorkers: w.workers }), { ...sdkOptions(p), normalize: 'zscore' })));
  for (const ds of datasets) await model.fitDataset(ds, { epochs: 1, batchesPerEpoch: 5, verbose: 0 });
  const per = Math.max(1, Math.round(p.fitBatches / COMPARE_ROUNDS));
  const totals = WORKER_SETTINGS.map(() => 0);
  const roundRatios: number[] = [];
  for (let r = 0; r < COMPARE_ROUNDS; r++) {
    const took = WORKER_SETTINGS.map(() => 0);
    for (let k = 0; k < WORKER_SETTINGS.length; k++) {
      const i = (r + k) % WORKER_SETTINGS.length;
      const t0 = now();
      await model.fitDataset(datasets[i]!, { epochs: 1, batchesPerEpoch: per, verbose: 0 });
      took[i] = now() - t0;
      totals[i] += took[i]!;
    }
    roundRatios.push(took[0]! / Math.min(...took.slice(1)));
  }
  model.dispose();
  const windows = COMPARE_ROUNDS * per * p.batch;
  const extra: Record<string, number> = { bestOverDefault: Math.max(1, totals[0]! / Math.min(...totals.slice(1))), bestOverDefaultSpread: (Math.max(...roundRatios) - Math.min(...roundRatios)) / 2 / roundRatios.sort((a, b) => a - b)[roundRatios.length >> 1]!, batches: COMPARE_ROUNDS * per };
  WORKER_SETTINGS.forEach((w, i) => (extra[`seconds${w.key}`] = totals[i]!));
  return { windows, rows: windows, bytes: windows * p.window * p.features * 4, seconds: totals[0]!, capped: true, extra };
}

export default async function fit(p: CaseParams): Promise<CaseMeasure> {
  if (p.fitWorkers) return compareWorkers(p);
  const base = await makeTfDataset(await storeSource(p), { ...sdkOptions(p), normalize: 'zscore' });
  const model = lstmModel(p);
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
