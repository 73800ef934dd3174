import type { Prng } from './prng.js';
import type { WindowBatch, WindowWriter } from './window-writer.js';

/**
 * A bounded shuffle buffer of assembled windows, for sources that cannot read their units in a random
 * order: same semantics as `tf.data.Dataset.shuffle(bufferSize)`. Once `capacity` windows are held, each new
 * window displaces a uniformly chosen one, which is emitted. It only mixes nearby windows; sources with
 * units get a real shuffle instead (see `window-batches.ts`).
 *
 * @example
 * if (buf.full) buf.popRandomInto(batch, k);
 * writer.write(work, row, series, buf.windows, buf.pushSlot());
 */
export class WindowShuffleBuffer {
  readonly windows: WindowBatch;
  size = 0;

  constructor(
    readonly capacity: number,
    private readonly writer: WindowWriter,
    private readonly rng: Prng,
  ) {
    this.windows = writer.allocate(capacity);
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /** Reserves the next free slot; write the window there. */
  pushSlot(): number {
    return this.size++;
  }

  /**
   * Removes a uniformly chosen window and copies it to slot `k` of `batch`, or drops it when `batch` is null
   * (replaying skipped batches on resume: the random draw happens either way, so the order matches).
   */
  popRandomInto(batch: WindowBatch | null, k: number): void {
    const j = this.rng.nextInt(this.size);
    const last = --this.size;
    if (batch) this.writer.copy(this.windows, j, batch, k);
    if (j !== last) this.writer.copy(this.windows, last, this.windows, j);
  }
}
