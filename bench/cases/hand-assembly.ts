// The best window assembly a careful tfjs user writes by hand over typed columns (about 30 lines): one
// interleave into a row-major copy, then one `set` per window into batch buffers that are reused on the wasm
// backend (which copies them into its own memory when it makes a tensor, as the SDK does), one tensor per
// batch. Shared by the DuckDB and parsed-CSV baselines.
import * as tf from '@tensorflow/tfjs';
import { type CaseMeasure, type CaseParams, consume, now, xsBytes } from '../measure.js';

/** xs [b, window, F] from `columns` (F features, row-major per window), ys [b, 1] = column 0 of the next row. */
export function handWindowsDataset(p: CaseParams, numRows: number, columns: Float32Array[]): tf.data.Dataset<tf.TensorContainer> {
  const W = p.window;
  const F = columns.length;
  const B = p.batch;
  return tf.data.generator(function* () {
    const rowMajor = new Float32Array(numRows * F);
    for (let f = 0; f < F; f++) {
      const c = columns[f]!;
      for (let i = 0, o = f; i < numRows; i++, o += F) rowMajor[o] = c[i]!;
    }
    const y = columns[0]!;
    const total = Math.max(0, numRows - W);
    // Other backends may keep a reference to the array a tensor is made from: allocate per batch there.
    const reuse = tf.getBackend() === 'wasm';
    let xs = new Float32Array(B * W * F);
    let ys = new Float32Array(B);
    for (let s0 = 0; s0 < total; s0 += B) {
      const b = Math.min(B, total - s0);
      if (!reuse || b < B) {
        xs = new Float32Array(b * W * F);
        ys = new Float32Array(b);
      }
      for (let k = 0; k < b; k++) {
        const s = s0 + k;
        xs.set(rowMajor.subarray(s * F, (s + W) * F), k * W * F);
        ys[k] = y[s + W]!;
      }
      yield { xs: tf.tensor3d(xs, [b, W, F]), ys: tf.tensor2d(ys, [b, 1]) };
    }
  }) as unknown as tf.data.Dataset<tf.TensorContainer>;
}

/** Typed feature columns read by a baseline (DuckDB, a CSV parser), the first `limit` rows when given. */
export type ReadColumns = (p: CaseParams, limit?: number) => Promise<{ numRows: number; columns: Float32Array[] }>;
type MakeDataset = (p: CaseParams, numRows: number, columns: Float32Array[]) => tf.data.Dataset<tf.TensorContainer> | Promise<tf.data.Dataset<tf.TensorContainer>>;

/**
 * A baseline that reads typed columns, then windows them: warmed up on the first batches' rows, then timed
 * from the read (its open included) to the last batch, with the read and the windowing apart.
 */
export async function readThenWindow(p: CaseParams, read: ReadColumns, windows: MakeDataset): Promise<CaseMeasure> {
  const warm = await read(p, p.warmupBatches * p.batch + p.window);
  await consume(await windows(p, warm.numRows, warm.columns), tf);
  const t0 = now();
  const { numRows, columns } = await read(p);
  const readSeconds = now() - t0;
  const r = await consume(await windows(p, numRows, columns), tf);
  const seconds = now() - t0;
  return {
    windows: r.windows,
    rows: numRows,
    bytes: xsBytes(r.windows, p),
    seconds,
    capped: false,
    extra: { readSeconds, assemblySeconds: seconds - readSeconds, readRowsPerSec: numRows / readSeconds, firstBatchSeconds: readSeconds + r.firstBatchSeconds },
  };
}
