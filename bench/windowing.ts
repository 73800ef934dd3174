// Windows/s of makeTfDataset vs a per-window-tensor tf.data pipeline, same data, same run.
// Usage: npx tsx bench/windowing.ts [--rows 10000000] [--baseline-windows 200000] [--backend wasm|cpu] [--shuffle]
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { initBackend, type BackendName } from '../src/windowing/backend.js';
import { makeTfDataset } from '../src/windowing/make-tf-dataset.js';
import { columnsSource } from '../src/windowing/window-source.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    'baseline-windows': { type: 'string', default: '200000' },
    backend: { type: 'string' },
    shuffle: { type: 'boolean', default: false },
    'chunk-rows': { type: 'string', default: '1000000' },
  },
});
const ROWS = Number(values.rows);
const BASELINE = Number(values['baseline-windows']);
const W = 48;
const F = 4;
const B = 64;

const backend = await initBackend(values.backend as BackendName | undefined);
console.log(`backend ${backend.name}; ${ROWS.toLocaleString()} rows; batches [${B}, ${W}, ${F}]`);

const t = new Float64Array(ROWS);
const cols = Array.from({ length: F }, () => new Float32Array(ROWS));
for (let i = 0; i < ROWS; i++) {
  t[i] = 1.7e12 + i * 3_600_000;
  for (let f = 0; f < F; f++) cols[f]![i] = Math.sin(i * (f + 1) * 1e-3) + f;
}
const source = columnsSource({ t, f0: cols[0]!, f1: cols[1]!, f2: cols[2]!, f3: cols[3]! }, { chunkRows: Number(values['chunk-rows']) });

async function consume(ds: tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>, maxWindows: number): Promise<{ windows: number; seconds: number }> {
  const it = await ds.iterator();
  let windows = 0;
  const start = process.hrtime.bigint();
  while (windows < maxWindows) {
    const r = await it.next();
    if (r.done) break;
    windows += r.value.xs.shape[0]!;
    tf.dispose(r.value);
  }
  return { windows, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

// makeTfDataset: one preallocated Float32Array and one tensor per batch.
const prepStart = process.hrtime.bigint();
const ds = await makeTfDataset(source, {
  features: ['f0', 'f1', 'f2', 'f3'],
  targets: ['f0'],
  windowSize: W,
  batchSize: B,
  timestampColumn: 't',
  maxGap: 3_600_000,
  normalize: 'zscore',
  shuffle: values.shuffle,
  seed: 1,
});
const prepSeconds = Number(process.hrtime.bigint() - prepStart) / 1e9;
const ours = await consume(ds, Infinity);
const oursRate = ours.windows / ours.seconds;
console.log(`makeTfDataset        ${ours.windows.toLocaleString()} windows in ${ours.seconds.toFixed(2)} s = ${Math.round(oursRate).toLocaleString()} windows/s (+ ${prepSeconds.toFixed(2)} s first pass: count, gaps, statistics)`);

// Baseline: one tensor per window, then tf.data's batch().
const baseline = tf.data
  .generator(function* () {
    for (let s = 0; s + W < ROWS; s++) {
      const x = new Float32Array(W * F);
      for (let k = 0; k < W; k++) for (let f = 0; f < F; f++) x[k * F + f] = cols[f]![s + k]!;
      yield { xs: tf.tensor2d(x, [W, F]), ys: tf.tensor1d([cols[0]![s + W]!]) };
    }
  })
  .batch(B) as unknown as tf.data.Dataset<{ xs: tf.Tensor; ys: tf.Tensor }>;
const base = await consume(baseline, BASELINE);
const baseRate = base.windows / base.seconds;
console.log(`per-window tensors   ${base.windows.toLocaleString()} windows in ${base.seconds.toFixed(2)} s = ${Math.round(baseRate).toLocaleString()} windows/s`);
console.log(`ratio                ${(oursRate / baseRate).toFixed(1)}x`);
console.log(`tensors left         ${tf.memory().numTensors}`);
