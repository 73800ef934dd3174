import * as tf from '@tensorflow/tfjs';
import type { NormalizationStats } from '../windowing/normalize.js';
import type { DatasetState } from '../windowing/options.js';
import { deriveSeed } from '../windowing/prng.js';
import { windowBatches, type BatchPlan } from '../windowing/window-batches.js';

/** One element of a window dataset: `xs` [batch, windowSize, features]; `ys` [batch, targets] or [batch, horizon, targets]. */
export interface WindowElement extends tf.TensorContainerObject {
  xs: tf.Tensor3D;
  ys: tf.Tensor;
}

/** What `makeTfDataset` hands to the dataset; see there. */
export interface WindowDatasetInit {
  plan: BatchPlan;
  windowSize: number;
  horizon: number;
  numFeatures: number;
  numTargets: number;
  /** Batches per epoch. */
  batches: number;
  normalization: NormalizationStats;
  seed: number;
  shuffle: boolean;
  resumeFrom?: DatasetState;
}

/**
 * A `tf.data.Dataset` of window batches. Every `iterator()` call is a new epoch that reads the source
 * again from its first row, so `model.fitDataset(ds, { epochs })` needs no `batchesPerEpoch` (`size` is
 * the number of batches per epoch). Each batch is one `xs` and one `ys` tensor built on a Float32Array
 * allocated for that batch; the consumer owns and disposes them (`fitDataset` does).
 *
 * @example
 * const ds = await makeTfDataset(source, { features: ['close'], targets: ['close'], windowSize: 48 });
 * await model.fitDataset(ds, { epochs: 2 });
 * const state = ds.state(); // { version: 1, epoch: 2, batchIndex: 0, seed }
 */
export class WindowDataset extends tf.data.Dataset<WindowElement> {
  override readonly size: number;
  /** Train-range statistics used to normalise (or the ones passed in `normalization`); JSON-serialisable. */
  readonly normalization: NormalizationStats;
  /** Windows per epoch (the last batch may be smaller unless `dropRemainder`). */
  readonly windowsPerEpoch: number;
  private readonly init: WindowDatasetInit;
  private nextEpoch: number;
  private pendingSkip: number;
  private current: { epoch: number; batchIndex: number } | undefined;

  constructor(init: WindowDatasetInit) {
    super();
    this.init = init;
    this.size = init.batches;
    this.normalization = init.normalization;
    this.windowsPerEpoch = init.plan.totalWindows;
    this.nextEpoch = init.resumeFrom?.epoch ?? 0;
    this.pendingSkip = init.resumeFrom?.batchIndex ?? 0;
  }

  /**
   * Position of the most recently started epoch: the epoch and index of the batch that comes next.
   * An epoch counts as started at its first `next()`, so iterators created and never read (as
   * `fitDataset` does once) do not move it. Pass it as `resumeFrom` to continue there.
   */
  state(): DatasetState {
    const at = this.current ?? { epoch: this.nextEpoch, batchIndex: this.pendingSkip };
    return { version: 1, epoch: at.epoch, batchIndex: at.batchIndex, seed: this.init.seed };
  }

  override async iterator(): Promise<ReturnType<tf.data.Dataset<WindowElement>['iterator']> extends Promise<infer I> ? I : never> {
    return tf.data.generator(() => this.epochBatches()).iterator();
  }

  private async *epochBatches(): AsyncGenerator<WindowElement, void> {
    const epoch = this.nextEpoch++;
    const skip = this.pendingSkip;
    this.pendingSkip = 0;
    const position = { epoch, batchIndex: skip };
    this.current = position;
    const { plan, windowSize, horizon, numFeatures, numTargets, seed, shuffle } = this.init;
    const epochSeed = shuffle ? deriveSeed(seed, epoch) : 0;
    // The wasm backend copies a typed array into its own memory when it makes a tensor, so the batch
    // buffers can be reused; other backends (cpu, tfjs-node) may keep a reference to them.
    const reuse = tf.getBackend() === 'wasm';
    for await (const b of windowBatches(plan, epochSeed, skip, reuse)) {
      const xs = tf.tensor3d(b.xs, [b.size, windowSize, numFeatures]);
      const ys = horizon === 1 ? tf.tensor2d(b.ys, [b.size, numTargets]) : tf.tensor3d(b.ys, [b.size, horizon, numTargets]);
      position.batchIndex++;
      yield { xs, ys };
    }
    if (this.current === position) this.current = { epoch: epoch + 1, batchIndex: 0 };
  }
}
