// Limit: a pure memory copy of the bytes the windows contain (windows × window × features float32), in
// batch-sized blocks from a row-major copy of the series into one preallocated batch buffer. No window
// logic, no allocation, no tensors: the physical ceiling of window assembly on this machine. With
// `memcpyTensors`, the floor of the SDK's own job: the same copy, then the batch's xs and ys tensors made from
// the reused buffers (the backend copies them in) and disposed, as a dataset's consumer does.
import * as tf from '@tensorflow/tfjs';
import { seriesColumns } from '../data.js';
import { type CaseMeasure, type CaseParams, now, totalWindows, xsBytes } from '../measure.js';

/** `tensors`: per batch, the shape of its xs tensor and its ys buffer ([perBatch, 1]). */
function copyAll(src: Float32Array, dst: Float32Array, batches: number, tensors: { xsShape: [number, number, number]; ys: Float32Array } | null): number {
  const block = dst.length;
  const span = src.length - block;
  let off = 0;
  let sum = 0;
  for (let b = 0; b < batches; b++) {
    dst.set(src.subarray(off, off + block));
    sum += dst[b % block]!;
    if (tensors) {
      const xs = tf.tensor3d(dst, tensors.xsShape);
      const ys = tf.tensor2d(tensors.ys, [tensors.xsShape[0], 1]);
      xs.dispose();
      ys.dispose();
    }
    off += block;
    if (off > span) off = 0;
  }
  return sum;
}

export default async function memcpy(p: CaseParams): Promise<CaseMeasure> {
  const { features: cols, numRows } = seriesColumns(p.rows, p.features, p.seed);
  const F = p.features;
  const src = new Float32Array(numRows * F);
  for (let f = 0; f < F; f++) for (let i = 0; i < numRows; i++) src[i * F + f] = cols[f]![i]!;
  const windows = totalWindows(p);
  const dst = new Float32Array(Math.min(p.batch * p.window * F, src.length));
  const perBatch = dst.length / (p.window * F);
  const batches = Math.ceil(windows / perBatch);
  const tensors = p.memcpyTensors ? { xsShape: [perBatch, p.window, F] as [number, number, number], ys: new Float32Array(perBatch) } : null;
  copyAll(src, dst, Math.min(batches, p.warmupBatches), tensors);
  const t0 = now();
  const checksum = copyAll(src, dst, batches, tensors);
  const seconds = now() - t0;
  return { windows, rows: numRows, bytes: xsBytes(windows, p), seconds, capped: false, extra: { checksum } };
}
