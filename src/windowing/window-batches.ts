import { TfplError } from '../errors.js';
import { createPrng } from './prng.js';
import { WindowShuffleBuffer } from './shuffle-buffer.js';
import { WindowAssembler, type AssemblerConfig } from './window-assembler.js';
import type { WindowSource } from './window-source.js';

/** Everything one epoch of batches needs; fixed per dataset. */
export interface BatchPlan {
  source: WindowSource;
  assembler: AssemblerConfig;
  batchSize: number;
  dropRemainder: boolean;
  /** Windows in one epoch (from the first pass); fixes every batch's size before it is filled. */
  totalWindows: number;
  /** Shuffle buffer capacity in windows, or 0 for time order. */
  shuffleBufferSize: number;
}

/** One batch as plain arrays: `size` windows, xs = [size, windowSize, features], ys = [size, horizon, targets]. */
export interface WindowBatch {
  size: number;
  xs: Float32Array;
  ys: Float32Array;
}

/**
 * One epoch of batches. With `reuseBuffers` every full batch is written into the same two Float32Arrays:
 * only for a consumer that copies a batch out before asking for the next (the wasm backend copies into
 * its memory when a tensor is made; the cpu backend keeps the array, so it needs fresh ones).
 * The first `skipBatches` batches are replayed without being materialised: windows are still read (and
 * shuffled with the same random draws) but never copied out, so resuming costs source reads only.
 *
 * @example
 * for await (const b of windowBatches(plan, seed, 0)) console.log(b.size, b.xs.length);
 */
export async function* windowBatches(plan: BatchPlan, epochSeed: number, skipBatches: number, reuseBuffers = false): AsyncGenerator<WindowBatch> {
  const { batchSize, totalWindows } = plan;
  const asm = new WindowAssembler(plan.assembler);
  const ff = asm.featureFloats;
  const tf = asm.targetFloats;
  const toEmit = plan.dropRemainder ? Math.floor(totalWindows / batchSize) * batchSize : totalWindows;
  if (toEmit === 0) return;
  const buf = plan.shuffleBufferSize > 0 ? new WindowShuffleBuffer(plan.shuffleBufferSize, ff, tf, createPrng(epochSeed)) : null;

  let emitted = 0; // windows placed in batches (or skipped)
  let fill = 0; // windows in the current batch
  let batchIndex = 0;
  let xs: Float32Array | null = null;
  let ys: Float32Array | null = null;
  const sizeOf = (k: number) => Math.min(batchSize, toEmit - k * batchSize);
  const open = () => {
    if (batchIndex >= skipBatches) {
      const n = sizeOf(batchIndex);
      // Allocating (and zeroing) two arrays per batch was the largest self time of an epoch on wasm.
      if (reuseBuffers && xs !== null && (xs as Float32Array).length === n * ff) return;
      xs = new Float32Array(n * ff);
      ys = new Float32Array(n * tf);
    } else xs = ys = null;
  };
  open();

  const reader = plan.source.open(plan.assembler.columns.concat(plan.assembler.timestampColumn ? [plan.assembler.timestampColumn] : []), asm.firstRow);
  let seen = 0;
  outer: for await (const batch of reader) {
    asm.setBatch(batch);
    while (asm.advance()) {
      seen++;
      if (buf) {
        if (buf.full) {
          buf.popRandomInto(xs, fill * ff, ys, fill * tf);
          fill++;
          emitted++;
        }
        const slot = buf.pushSlot();
        asm.writeWindow(buf.xs, slot * ff, buf.ys, slot * tf);
      } else {
        if (xs !== null) asm.writeWindow(xs, fill * ff, ys!, fill * tf);
        fill++;
        emitted++;
      }
      if (fill === sizeOf(batchIndex)) {
        if (xs !== null) yield { size: fill, xs, ys: ys! };
        batchIndex++;
        fill = 0;
        if (emitted === toEmit) break outer;
        open();
      }
    }
    if (asm.finished) break;
  }
  if (seen > totalWindows) {
    throw new TfplError('ERR_WINDOW_SOURCE', `${plan.assembler.fn}: the source yielded ${seen} windows, the first pass counted ${totalWindows}; the source changed between passes`);
  }
  while (buf && buf.size > 0 && emitted < toEmit) {
    buf.popRandomInto(xs, fill * ff, ys, fill * tf);
    fill++;
    emitted++;
    if (fill === sizeOf(batchIndex)) {
      if (xs !== null) yield { size: fill, xs, ys: ys! };
      batchIndex++;
      fill = 0;
      if (emitted < toEmit) open();
    }
  }
  if (emitted < toEmit && fill > 0 && xs !== null) {
    // Fewer windows than counted (the source shrank): hand out what there is rather than zeros.
    yield { size: fill, xs: (xs as Float32Array).slice(0, fill * ff), ys: (ys as unknown as Float32Array).slice(0, fill * tf) };
  }
}
