import type { Prng } from './prng.js';

/**
 * A bounded shuffle buffer of assembled windows (not of start indices: once the ring has moved on, a
 * window's rows are gone, so a window is copied in whole when it completes). Same semantics as
 * `tf.data.Dataset.shuffle(bufferSize)`: once `capacity` windows are held, each new window displaces a
 * uniformly chosen one, which is emitted. Memory: capacity × (windowSize·features + horizon·targets) floats.
 *
 * @example
 * if (buf.full) buf.popRandomInto(xs, xOff, ys, yOff);
 * const slot = buf.pushSlot();
 * asm.writeWindow(buf.xs, slot * buf.featureFloats, buf.ys, slot * buf.targetFloats);
 */
export class WindowShuffleBuffer {
  readonly xs: Float32Array;
  readonly ys: Float32Array;
  size = 0;
  // Views of every slot, made once: copying out with `set` is a memcpy and allocates nothing per window.
  private readonly xViews: Float32Array[];
  private readonly yViews: Float32Array[];

  constructor(
    readonly capacity: number,
    readonly featureFloats: number,
    readonly targetFloats: number,
    private readonly rng: Prng,
  ) {
    this.xs = new Float32Array(capacity * featureFloats);
    this.ys = new Float32Array(capacity * targetFloats);
    this.xViews = Array.from({ length: capacity }, (_, j) => this.xs.subarray(j * featureFloats, (j + 1) * featureFloats));
    this.yViews = Array.from({ length: capacity }, (_, j) => this.ys.subarray(j * targetFloats, (j + 1) * targetFloats));
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /** Reserves the next free slot; write the window there. */
  pushSlot(): number {
    return this.size++;
  }

  /**
   * Removes a uniformly chosen window and copies it to `xs`/`ys` at the offsets, or drops it when `xs` is
   * null (replaying skipped batches on resume: the random draw happens either way, so the order matches).
   */
  popRandomInto(xs: Float32Array | null, xOff: number, ys: Float32Array | null, yOff: number): void {
    const j = this.rng.nextInt(this.size);
    const last = --this.size;
    const ff = this.featureFloats;
    const tf = this.targetFloats;
    if (xs !== null && ys !== null) {
      xs.set(this.xViews[j]!, xOff);
      ys.set(this.yViews[j]!, yOff);
    }
    if (j !== last) {
      this.xs.copyWithin(j * ff, last * ff, (last + 1) * ff);
      this.ys.copyWithin(j * tf, last * tf, (last + 1) * tf);
    }
  }
}
