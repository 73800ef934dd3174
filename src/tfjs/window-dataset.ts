import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import type { DatasetPlan, SeriesSummary } from '../windowing/dataset-plan.js';
import type { NormalizationStats } from '../windowing/normalize.js';
import type { DatasetState } from '../windowing/options.js';
import { deriveSeed } from '../windowing/prng.js';
import type { SeriesIdValue } from '../windowing/series-keys.js';
import { measureShuffle, type ShuffleQuality } from '../windowing/shuffle-quality.js';
import { windowBatches } from '../windowing/window-batches.js';
import type { WindowBatch } from '../windowing/window-writer.js';

/** The inputs of a window when `inputs` asks for more than the window: one tensor per model input. */
export interface WindowInputs extends tf.TensorContainerObject {
  /** [batch, windowSize, features] */
  window: tf.Tensor3D;
  /** [batch, 1] int32: the series' number (`inputs.series`), for an embedding layer. */
  series?: tf.Tensor2D;
  /** [batch, static columns] (`inputs.static`). */
  static?: tf.Tensor2D;
  /** [batch, horizon, 4]: sin/cos of hour of day and of day of week of each target step (`inputs.calendar`). */
  calendar?: tf.Tensor3D;
}

/**
 * One element of a window dataset: `xs` [batch, windowSize, features] (or, with extra inputs, a
 * `WindowInputs` object whose keys name the model's inputs); `ys` [batch, targets] or [batch, horizon, targets].
 */
export interface WindowElement<X extends tf.Tensor3D | WindowInputs = tf.Tensor3D> extends tf.TensorContainerObject {
  xs: X;
  ys: tf.Tensor;
}

/** How many series a dataset saw, how many give windows, and which are too short for one. */
export interface SeriesReport {
  series: number;
  withWindows: number;
  /** Series with rows but no window (shorter than a window, or split so): their ids. */
  tooShort: SeriesIdValue[][];
}

/** What `makeTfDataset` hands to the dataset; see there. */
export interface WindowDatasetInit extends DatasetPlan {
  windowSize: number;
  horizon: number;
  numFeatures: number;
  numTargets: number;
  seed: number;
  resumeFrom?: DatasetState;
}

/**
 * A `tf.data.Dataset` of window batches. Every `iterator()` call is a new epoch that reads the source
 * again, so `model.fitDataset(ds, { epochs })` needs no `batchesPerEpoch` (`size` is the number of batches per
 * epoch). Each batch is one tensor per input and one `ys` tensor; the consumer owns and disposes them
 * (`fitDataset` does).
 *
 * @example
 * const ds = await makeTfDataset(source, { features: ['close'], targets: ['close'], windowSize: 48 });
 * await model.fitDataset(ds, { epochs: 2 });
 * const state = ds.state(); // { version: 1, epoch: 2, batchIndex: 0, seed }
 */
export class WindowDataset<X extends tf.Tensor3D | WindowInputs = tf.Tensor3D> extends tfd.Dataset<WindowElement<X>> {
  override readonly size: number;
  /** Train-part statistics used to normalise (or the ones passed in `normalization`); JSON-serialisable. */
  readonly normalization: NormalizationStats;
  /** Windows per epoch (the last batch may be smaller unless `dropRemainder`). */
  readonly windowsPerEpoch: number;
  /** Every series the source holds, in series-number order: ids, rows, windows in this dataset's part. */
  readonly series: readonly SeriesSummary[];
  /** The series numbering (ids per series number): pass as `seriesOrder` to another dataset to keep it. */
  readonly seriesKeys: readonly SeriesIdValue[][];
  private readonly init: WindowDatasetInit;
  private nextEpoch: number;
  private pendingSkip: number;
  private current: { epoch: number; batchIndex: number } | undefined;

  constructor(init: WindowDatasetInit) {
    super();
    this.init = init;
    this.size = init.batches;
    this.normalization = init.normalization;
    this.windowsPerEpoch = init.windowsPerEpoch;
    this.series = init.series;
    this.seriesKeys = init.seriesKeys;
    this.nextEpoch = init.resumeFrom?.epoch ?? 0;
    this.pendingSkip = init.resumeFrom?.batchIndex ?? 0;
  }

  /** How many series there are, how many give windows, and which are too short to give one. */
  seriesReport(): SeriesReport {
    const rows = this.series.filter((s) => s.rows > 0);
    return { series: rows.length, withWindows: rows.filter((s) => s.windows > 0).length, tooShort: rows.filter((s) => s.windows === 0).map((s) => s.ids) };
  }

  /**
   * How well an epoch's order mixes windows, computed from the plan without reading data: the spread (standard
   * deviation) of window positions inside a batch against that of a uniform shuffle, and how much of the time
   * range the first tenth of the epoch's batches covers. Positions are row numbers inside each series.
   *
   * @example
   * const q = ds.shuffleQuality(); // { withinBatchSpread, uniformSpread, ratio, firstTenthDeciles, ... }
   */
  shuffleQuality(epoch = this.nextEpoch): ShuffleQuality {
    return measureShuffle(this.init.plan, deriveSeed(this.init.seed, epoch));
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

  override async iterator(): Promise<ReturnType<tfd.Dataset<WindowElement<X>>['iterator']> extends Promise<infer I> ? I : never> {
    const next = this.#epochReader();
    return tfd.func(next as () => Promise<IteratorResult<WindowElement<X>>>).iterator();
  }

  /**
   * Calls `f` with each batch of the next epoch, then disposes the batch's tensors, as tf.data's does; without
   * the map stage tf.data puts in front of it (it cost ~13 % of an epoch). A promise `f` returns is awaited
   * before its batch is disposed, so an async `f` may use the tensors until it settles.
   */
  override async forEachAsync(f: (input: WindowElement<X>) => void | Promise<void>): Promise<void> {
    const next = this.#epochReader();
    for (let r = await next(); !r.done; r = await next()) {
      const element = r.value as WindowElement<X>;
      try {
        await f(element);
      } finally {
        tf.dispose(element);
      }
    }
  }

  /** Every batch of the next epoch, in order; the caller owns (and disposes) the tensors. */
  override async toArray(): Promise<WindowElement<X>[]> {
    const next = this.#epochReader();
    const batches: WindowElement<X>[] = [];
    for (let r = await next(); !r.done; r = await next()) batches.push(r.value as WindowElement<X>);
    return batches;
  }

  /**
   * The next epoch's batches, one per call, as tensors: one function over the batches' generator rather than
   * a generator around it (each layer of async generator cost ~0.4 µs a batch). The epoch starts at the first
   * call, so a reader never called (fitDataset makes one) does not count as an epoch.
   */
  #epochReader(): () => Promise<IteratorResult<WindowElement<tf.Tensor3D | WindowInputs>, undefined>> {
    let batches: AsyncGenerator<WindowBatch> | null = null;
    let position: { epoch: number; batchIndex: number } | null = null;
    const { plan, windowSize, horizon, numFeatures, numTargets, seed } = this.init;
    const extras = plan.extras;
    const shape = { windowSize, horizon, numFeatures, numTargets, staticCount: extras.staticCount, withInputs: extras.series || extras.statics !== null || extras.calendar };
    return async () => {
      if (!position) {
        const epoch = this.nextEpoch++;
        const skip = this.pendingSkip;
        this.pendingSkip = 0;
        position = { epoch, batchIndex: skip };
        this.current = position;
        // The wasm backend copies a typed array into its own memory when it makes a tensor, so the batch
        // buffers can be reused; other backends (cpu, tfjs-node) may keep a reference to them.
        batches = windowBatches(plan, deriveSeed(seed, epoch), skip, tf.getBackend() === 'wasm');
      }
      const r = await batches!.next();
      if (r.done) {
        if (this.current === position) this.current = { epoch: position.epoch + 1, batchIndex: 0 };
        return { value: undefined, done: true };
      }
      position.batchIndex++;
      return { value: windowElementOf(r.value, shape), done: false };
    };
  }
}

/** The shapes a batch of windows is cut into tensors by; `withInputs`: named inputs (`WindowInputs`), not one tensor. */
export interface WindowElementShape {
  windowSize: number;
  horizon: number;
  numFeatures: number;
  numTargets: number;
  staticCount: number;
  withInputs: boolean;
}

/** One batch of windows as the tensors a model takes: `xs` (the window, or named inputs) and `ys`. */
export function windowElementOf(b: WindowBatch, g: WindowElementShape): WindowElement<tf.Tensor3D | WindowInputs> {
  const window = tf.tensor3d(b.xs, [b.size, g.windowSize, g.numFeatures]);
  const ys = g.horizon === 1 ? tf.tensor2d(b.ys, [b.size, g.numTargets]) : tf.tensor3d(b.ys, [b.size, g.horizon, g.numTargets]);
  if (!g.withInputs) return { xs: window, ys };
  const xs: WindowInputs = { window };
  if (b.series) xs.series = tf.tensor2d(b.series, [b.size, 1], 'int32');
  if (b.statics) xs.static = tf.tensor2d(b.statics, [b.size, g.staticCount]);
  if (b.calendar) xs.calendar = tf.tensor3d(b.calendar, [b.size, g.horizon, 4]);
  return { xs, ys };
}
