/**
 * Column buffers the consumer is done with, kept on the thread that decodes next, by byte length, for its
 * next outputs. A reader of the SDK's own row groups makes the same few sizes over and over: without this
 * each row group's columns (~1 MiB) were garbage the moment they were windowed, and the process grew by the
 * garbage two isolates let pile up before their external-memory collections (RSS rose all epoch long).
 */
export class SpareBuffers {
  readonly #byLength = new Map<number, ArrayBuffer[]>();
  /** What is held, so a buffer given twice is held once (two decodes writing into one buffer would corrupt both). */
  readonly #held = new WeakSet<ArrayBuffer>();
  #bytes = 0;

  /** Keeps at most `maxBytes` (what a few row groups' columns take); more are left to the collector. */
  constructor(readonly maxBytes: number) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Takes buffers whose contents nobody reads again (each only once; detached ones are skipped). */
  give(buffers: readonly ArrayBuffer[]): void {
    for (const b of buffers) {
      const n = b.byteLength;
      if (n === 0 || this.#bytes + n > this.maxBytes || this.#held.has(b)) continue;
      let list = this.#byLength.get(n);
      if (!list) this.#byLength.set(n, (list = []));
      list.push(b);
      this.#held.add(b);
      this.#bytes += n;
    }
  }

  /** A buffer of exactly `byteLength` bytes holding stale values (every one is overwritten by its decoder), or undefined. */
  take(byteLength: number): ArrayBuffer | undefined {
    const list = this.#byLength.get(byteLength);
    const b = list?.pop();
    if (!b) return undefined;
    if (list!.length === 0) this.#byLength.delete(byteLength);
    this.#held.delete(b);
    this.#bytes -= byteLength;
    return b;
  }

  clear(): void {
    for (const list of this.#byLength.values()) for (const b of list) this.#held.delete(b);
    this.#byLength.clear();
    this.#bytes = 0;
  }
}

/** This thread's spare column buffers (each decode thread, and the calling thread, has its own). */
export const spareBuffers = new SpareBuffers(32 * 2 ** 20);
