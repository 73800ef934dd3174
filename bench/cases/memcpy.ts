// Limit: a pure memory copy of the bytes the windows contain (windows × window × features float32), in
// batch-sized blocks from a row-major copy of the series into one preallocated batch buffer. No window
// logic, no allocation, no tensors: the physical ceiling of window assembly on this machine.
import { seriesColumns } from '../data.js';
import { type CaseMeasure, type CaseParams, now, totalWindows, xsBytes } from '../measure.js';

function copyAll(src: Float32Array, dst: Float32Array, batches: number): number {
  const block = dst.length;
  const span = src.length - block;
  let off = 0;
  let sum = 0;
  for (let b = 0; b < batches; b++) {
    dst.set(src.subarray(off, off + block));
    sum += dst[b % block]!;
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
  copyAll(src, dst, Math.min(batches, p.warmupBatches));
  const t0 = now();
  const checksum = copyAll(src, dst, batches);
  const seconds = now() - t0;
  return { windows, rows: numRows, bytes: xsBytes(windows, p), seconds, capped: false, extra: { checksum } };
}
