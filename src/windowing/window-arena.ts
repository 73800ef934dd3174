/**
 * Compiled from ./window-copy.wat (a test checks these bytes against it): one exported memory and
 * `copyWindows(src, dst, n, len, step)`, a loop of `memory.copy`.
 */
export const WINDOW_COPY_WASM = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x01, 0x60, 0x05, 0x7f, 0x7f, 0x7f,
  0x7f, 0x7f, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x18, 0x02, 0x06,
  0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x0b, 0x63, 0x6f, 0x70, 0x79, 0x57, 0x69, 0x6e,
  0x64, 0x6f, 0x77, 0x73, 0x00, 0x00, 0x0a, 0x30, 0x01, 0x2e, 0x00, 0x02, 0x40, 0x03, 0x40, 0x20,
  0x02, 0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x20, 0x03, 0xfc, 0x0a, 0x00, 0x00, 0x20, 0x01,
  0x20, 0x03, 0x6a, 0x21, 0x01, 0x20, 0x00, 0x20, 0x04, 0x6a, 0x21, 0x00, 0x20, 0x02, 0x41, 0x01,
  0x6b, 0x21, 0x02, 0x0c, 0x00, 0x0b, 0x0b, 0x0b,
);

type CopyWindows = (src: number, dst: number, n: number, len: number, step: number) => void;

const PAGE = 65_536;
let compiled: WebAssembly.Module | null | undefined;

/** The module, compiled once; null where WebAssembly cannot be compiled (a page whose CSP forbids it). */
function windowCopyModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      // 104 bytes: synchronous compilation is allowed for it even on a browser's main thread.
      compiled = new WebAssembly.Module(WINDOW_COPY_WASM);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * The memory an in-order epoch on the wasm backend assembles its windows in: the batch's inputs first
 * (`batchFloats`), then the work buffer's rows. The consecutive windows of a run are then copied with one
 * call that loops over `memory.copy`, where `copyWithin` per window cost its call: ~60 ns a window, a
 * quarter of the epoch's time on the calling thread. Growing the memory detaches every view of it, so views
 * are taken again after `workView`, which is the only call that grows it.
 */
export class WindowArena {
  readonly batchFloats: number;
  readonly #memory: WebAssembly.Memory;
  readonly #copy: CopyWindows;

  private constructor(batchFloats: number, memory: WebAssembly.Memory, copy: CopyWindows) {
    this.batchFloats = batchFloats;
    this.#memory = memory;
    this.#copy = copy;
  }

  /** An arena for batches of up to `batchFloats` input values, or null where WebAssembly is unavailable. */
  static create(batchFloats: number): WindowArena | null {
    const module = windowCopyModule();
    if (!module) return null;
    const { exports } = new WebAssembly.Instance(module);
    const memory = exports.memory as WebAssembly.Memory;
    // The batch region is viewed before any work rows arrive: the memory holds it from the start.
    const need = batchFloats * 4 - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / PAGE));
    return new WindowArena(batchFloats, memory, exports.copyWindows as CopyWindows);
  }

  /** The memory's buffer now: a view of an earlier one is detached. (Not shared: the memory is not.) */
  get buffer(): ArrayBuffer {
    return this.#memory.buffer as ArrayBuffer;
  }

  /** The first `floats` (at most `batchFloats`) values of the batch region. */
  batchView(floats: number): Float32Array<ArrayBuffer> {
    return new Float32Array(this.buffer, 0, floats);
  }

  /** `floats` values of the work region (growing the memory to hold them: earlier views are detached). */
  workView(floats: number): Float32Array<ArrayBuffer> {
    const need = (this.batchFloats + floats) * 4;
    const have = this.buffer.byteLength;
    if (need > have) this.#memory.grow(Math.ceil((need - have) / PAGE));
    return new Float32Array(this.buffer, this.batchFloats * 4, floats);
  }

  /**
   * Copies `n` windows of `floats` values into the batch region from float `dst` on: the k-th from work
   * float `src + k * step`.
   */
  copyWindows(src: number, dst: number, n: number, floats: number, step: number): void {
    this.#copy((this.batchFloats + src) * 4, dst * 4, n, floats * 4, step * 4);
  }
}
