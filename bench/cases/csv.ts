// Case 2, the tf.data.csv baseline: the same data as CSV, read with tf.data.csv and windowed the way a tfjs
// user would: a generator keeping a ring buffer of the last W rows, one tensor per window, then .batch(B).
// Capped by the time budget; the rate counts from a fresh iterator (which re-reads the file) on.
import * as tf from '@tensorflow/tfjs';
import { featureNames } from '../data.js';
import { type CaseMeasure, type CaseParams, consume, xsBytes } from '../measure.js';

/** The baseline's dataset; `counter.rows` counts the CSV rows read. */
export function csvDataset(p: CaseParams, counter = { rows: 0 }): tf.data.Dataset<tf.TensorContainer> {
  const W = p.window;
  const F = p.features;
  const names = featureNames(F);
  const rowsDataset = tf.data.csv(`file://${p.csvPath}`);
  return tf.data
    .generator(async function* () {
      const it = await rowsDataset.iterator();
      const ring = new Float32Array(W * F); // the last W rows; row n sits in slot n % W
      let n = 0;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        counter.rows++;
        const row = r.value as Record<string, number>;
        if (n >= W) {
          const x = new Float32Array(W * F);
          for (let k = 0; k < W; k++) {
            const slot = (n - W + k) % W;
            for (let f = 0; f < F; f++) x[k * F + f] = ring[slot * F + f]!;
          }
          yield { xs: tf.tensor2d(x, [W, F]), ys: tf.tensor1d([row.f0!]) };
        }
        const slot = n % W;
        for (let f = 0; f < F; f++) ring[slot * F + f] = row[names[f]!]!;
        n++;
      }
    })
    .batch(p.batch) as unknown as tf.data.Dataset<tf.TensorContainer>;
}

export default async function csv(p: CaseParams): Promise<CaseMeasure> {
  const counter = { rows: 0 };
  const ds = csvDataset(p, counter);
  await consume(ds, tf, { maxWindows: p.warmupBatches * p.batch });
  counter.rows = 0;
  const r = await consume(ds, tf, { maxSeconds: p.budgetSeconds });
  return { windows: r.windows, rows: counter.rows, bytes: xsBytes(r.windows, p), seconds: r.seconds, capped: r.capped };
}
