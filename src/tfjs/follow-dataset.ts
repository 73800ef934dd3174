import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import type { ColumnBatch } from '../schema/columns.js';
import type { Store } from '../store/open-store.js';
import { FollowBatchBuilder, type FollowConfig, FollowWindows } from '../windowing/follow-windows.js';
import type { NormalizationStats } from '../windowing/normalize.js';
import type { FollowState } from '../windowing/options.js';
import type { SeriesIdValue } from '../windowing/series-keys.js';
import type { StoreFollowReader } from '../windowing/store-follow-reader.js';
import type { WindowBatch } from '../windowing/window-writer.js';
import { type WindowElement, windowElementOf, type WindowInputs } from './window-dataset.js';

/** What `makeTfDataset` hands to a following dataset; see there. */
export interface FollowDatasetInit {
  config: FollowConfig;
  normalization: NormalizationStats;
  batchSize: number;
  /** The store as opened: its windows come first. */
  store: Store;
  /** The commits after it, each opened whole, until the follow is stopped. */
  commits: AsyncIterator<Store>;
  reader: StoreFollowReader;
  resumeFrom?: FollowState;
}

/**
 * A `tf.data.Dataset` of the windows of a store that grows: first those of the store as it was opened,
 * then, commit after commit, the windows each commit completes, per series, in batches of up to `batchSize`
 * (each commit ends its last batch, full or not, so a window is not held back waiting for the next commit).
 * It ends when the follow's `signal` aborts. Iterators share one position: a new `iterator()` (the next
 * epoch of `fitDataset` with `batchesPerEpoch`) goes on where the last one stopped. `state()` after a batch
 * is where a restart goes on (`resumeFrom`): no window twice, none missed.
 *
 * @example
 * const ds = await makeTfDataset('./market', { follow: true, signal, features: ['price'], targets: ['price'], windowSize: 24, timestampColumn: 'timestamp', seriesColumns: ['coin', 'vs'] });
 * for await (const { xs, ys } of await ds.iterator()) { ... }
 */
export class FollowDataset<X extends tf.Tensor3D | WindowInputs = tf.Tensor3D> extends tfd.Dataset<WindowElement<X>> {
  override readonly size = Infinity;
  /** The statistics the windows are scaled with (those of the follow's start, kept across restarts). */
  readonly normalization: NormalizationStats;
  readonly #init: FollowDatasetInit;
  readonly #windows: FollowWindows;
  #delivered: number;
  /** Where the follow is: the store being read, its rows, the batch of them being fed and the next row. */
  #store: Store;
  #rows: AsyncGenerator<ColumnBatch> | null = null;
  #batch: ColumnBatch | null = null;
  #at = 0;
  #commit: string | null;
  #builder: FollowBatchBuilder;
  /** One batch at a time, whichever iterator asks: they share the follow's position. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(init: FollowDatasetInit) {
    super();
    this.#init = init;
    this.normalization = init.normalization;
    this.#windows = new FollowWindows(init.config, init.resumeFrom?.series);
    this.#delivered = init.resumeFrom?.windows ?? 0;
    this.#store = init.store;
    this.#commit = init.resumeFrom?.commit ?? null;
    const { geom, featureIdx, targetIdx, extras } = init.config;
    this.#builder = new FollowBatchBuilder(init.batchSize, (n): WindowBatch => {
      const b: WindowBatch = { size: n, xs: new Float32Array(n * geom.windowSize * featureIdx.length), ys: new Float32Array(n * geom.horizon * targetIdx.length) };
      if (extras.series) b.series = new Int32Array(n);
      if (extras.calendar) b.calendar = new Float32Array(n * geom.horizon * 4);
      return b;
    });
  }

  /** Windows delivered so far (across restarts). */
  get windowsDelivered(): number {
    return this.#delivered;
  }

  /** The series seen so far, in series-number order (their ids), and the windows each gave. */
  get series(): { ids: SeriesIdValue[]; rows: number; windows: number }[] {
    const keys = this.#init.config.keys;
    const rows = this.#windows.seriesRows;
    return rows.map((n, s) => ({ ids: keys ? [...keys.values[s]!] : [], rows: n, windows: this.#windows.windowsBySeries[s] ?? 0 }));
  }

  /** The commit of the store being read (`Store.commitId`), null before the first one read whole. */
  get commit(): string | null {
    return this.#commit;
  }

  /**
   * Where the follow stands after the batches delivered so far: pass as `resumeFrom` (with the same options)
   * to go on after a restart with the next window. JSON-serialisable.
   */
  state(): FollowState {
    return { version: 1, kind: 'follow', normalization: this.normalization, windows: this.#delivered, commit: this.#commit, series: this.#windows.state() };
  }

  /** The engine of this follow (for the application's forecasting loop: the newest inputs of a series). */
  get windows(): FollowWindows {
    return this.#windows;
  }

  override async iterator(): Promise<ReturnType<tfd.Dataset<WindowElement<X>>['iterator']> extends Promise<infer I> ? I : never> {
    return tfd.generator(() => this.#batches() as AsyncGenerator<WindowElement<X>, void>).iterator();
  }

  /** The next batch of windows, raw (typed arrays), or null when the follow ended. */
  nextBatch(): Promise<WindowBatch | null> {
    return this.#serial(() => this.#next(false));
  }

  /**
   * Reads the rest of the commit being read (first: the store as opened), or else the next commit once it
   * lands, whole, for its rows alone (see `windows.onRow`; its windows are not delivered). Resolves with the
   * commit read, or null when the follow ended.
   */
  readCommit(): Promise<Store | null> {
    return this.#serial(async () => {
      await this.#next(true);
      return this.#ended ? null : this.#store;
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** The next commit to read (the store as opened first); null when the follow ended. */
  async #awaitCommit(): Promise<Store | null> {
    if (!this.#started) {
      this.#started = true;
      return this.#store;
    }
    const commit = await this.#init.commits.next();
    if (commit.done) {
      this.#ended = true;
      return null;
    }
    this.#store = commit.value;
    return this.#store;
  }

  #started = false;
  #ended = false;

  /**
   * Windows until a batch is full (`whole`: until the commit is read; its windows dropped); at the end of a
   * commit the last batch goes, then the next commit is awaited (not with `whole`).
   */
  async #next(whole: boolean): Promise<WindowBatch | null> {
    for (;;) {
      if (!this.#rows) {
        if (!(await this.#awaitCommit())) return null;
        this.#rows = this.#init.reader.newRows(this.#store, this.#init.config.keys, (s) => this.#windows.lastTimestamp(s));
      }
      if (!this.#batch || this.#at >= this.#batch.numRows) {
        const next = await this.#rows.next();
        if (next.done) {
          // The commit is read whole: its last windows go now, then the next commit is awaited.
          this.#rows = null;
          this.#batch = null;
          this.#commit = this.#store.commitId ?? this.#commit;
          const rest = this.#builder.take();
          if (whole) {
            if (rest) this.#delivered += rest.size;
            return null;
          }
          if (rest) return this.#deliver(rest);
          continue;
        }
        this.#batch = next.value;
        this.#at = 0;
      }
      this.#at = this.#windows.feed(this.#batch, this.#at, this.#builder);
      if (this.#builder.full) {
        const b = this.#builder.take()!;
        if (whole) this.#delivered += b.size;
        else return this.#deliver(b);
      }
    }
  }

  #deliver(b: WindowBatch): WindowBatch {
    this.#delivered += b.size;
    return b;
  }

  async *#batches(): AsyncGenerator<WindowElement<tf.Tensor3D | WindowInputs>, void> {
    const { geom, featureIdx, targetIdx, extras } = this.#init.config;
    const shape = { windowSize: geom.windowSize, horizon: geom.horizon, numFeatures: featureIdx.length, numTargets: targetIdx.length, staticCount: 0, withInputs: extras.series || extras.calendar };
    for (;;) {
      const b = await this.nextBatch();
      if (!b) return;
      yield windowElementOf(b, shape);
    }
  }
}
