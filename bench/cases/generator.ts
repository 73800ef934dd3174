// Case 3, the per-window generator baseline: columns already in memory, one tf.tensor2d per window through
// tf.data.generator(...).batch(B), as a tfjs user writes it. Capped by the time budget.
import * as tf from '@tensorflow/tfjs';
import { seriesColumns } from '../data.js';
import { type CaseMeasure, type CaseParams, consume, xsBytes } from '../measure.js';

/** The baseline's dataset: [batch, window, features] xs and [batch, 1] ys. */
export function generatorDataset(p: CaseParams): tf.data.Dataset<tf.TensorContainer> {
  const { features: cols, numRows } = seriesColumns(p.rows, p.features, p.seed);
  const W = p.window;
  const F = p.features;
  return tf.data
    .generator(function* () {
      for (let s = 0; s + W < numRows; s++) {
        const x = new Float32Array(W * F);
        for (let k = 0; k < W; k++) for (let f = 0; f < F; f++) x[k * F + f] = cols[f]![s + k]!;
        yield { xs: tf.tensor2d(x, [W, F]), ys: tf.tensor1d([cols[0]![s + W]!]) };
      }
    })
    .batch(p.batch) as unknown as tf.data.Dataset<tf.TensorContainer>;
}

export default async function generator(p: CaseParams): Promise<CaseMeasure> {
  const W = p.window;
  const ds = generatorDataset(p);
  await consume(ds, tf, { maxWindows: p.warmupBatches * p.batch });
  const r = await consume(ds, tf, { maxSeconds: p.budgetSeconds });
  return { windows: r.windows, rows: r.windows + (r.windows > 0 ? W : 0), bytes: xsBytes(r.windows, p), seconds: r.seconds, capped: r.capped };
}
