import { ParquetReadError } from '../store/parquet-read-error.js';
import type { DecodeReply, DecodeThreadReady } from './decode-message.js';
import type { DecodePool } from './decode-pool.js';
import { type DecodedRowGroup, type DecodeTask, decodeRowGroup } from './decode-row-group.js';

/** One decode thread as the pool drives it: a `worker_threads` Worker in Node, a Web Worker in a browser. */
export interface DecodeThread {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  /** Node: keep the process alive while the thread has work, and let it exit when idle. Browsers: nothing. */
  ref(): void;
  unref(): void;
  terminate(): Promise<unknown> | void;
}

/** What a thread reports to its pool: each message, and its death (crash, exit, or failure to load). */
export interface DecodeThreadEvents {
  message(msg: DecodeReply | DecodeThreadReady): void;
  failure(why: string, cause?: unknown): void;
}

/** Starts one decode thread; the platform seam supplies it. Throwing means threads cannot start here. */
export type SpawnDecodeThread = (events: DecodeThreadEvents) => DecodeThread;

interface Pending {
  task: DecodeTask;
  resolve: (r: DecodedRowGroup) => void;
  reject: (e: Error) => void;
}

interface Slot {
  thread: DecodeThread;
  pending: Map<number, Pending>;
  /** Resolves true once the thread said it is ready, false when it died before that. */
  ready: Promise<boolean>;
}

/**
 * A fixed set of decode threads. Task bytes are transferred in and column buffers transferred out (no
 * copies). Tasks go to a thread only once it said it is ready: a thread that cannot start (a page whose
 * content security policy forbids workers, a bundle served from another origin) has not taken any bytes,
 * so the pool decodes on the calling thread instead, once warned, rather than failing the read. A thread
 * that dies after it started fails only its own tasks (with a ParquetReadError) and is replaced on the
 * next task. Idle threads are unref'd (Node), so a forgotten reader never keeps a process alive.
 */
export class ThreadDecodePool implements DecodePool {
  readonly size: number;
  readonly #spawnThread: SpawnDecodeThread;
  #slots: (Slot | null)[];
  #nextId = 1;
  #closed = false;
  /** Why tasks are decoded on the calling thread (threads could not start), or null. */
  fallbackReason: string | null = null;

  constructor(size: number, spawn: SpawnDecodeThread) {
    this.size = size;
    this.#spawnThread = spawn;
    this.#slots = new Array(size).fill(null);
  }

  get liveWorkers(): number {
    return this.#slots.filter((s) => s !== null).length;
  }

  #slot(): Slot | null {
    let best = -1;
    for (let i = 0; i < this.#slots.length; i++) {
      const s = this.#slots[i];
      if (!s) {
        best = i;
        break;
      }
      if (best < 0 || s.pending.size < this.#slots[best]!.pending.size) best = i;
    }
    return this.#slots[best] ?? this.#spawn(best);
  }

  start(): void {
    if (this.#closed || this.fallbackReason) return;
    // Started idle: unref'd until a task arrives, like a thread whose tasks are done.
    for (let i = 0; i < this.#slots.length; i++) if (!this.#slots[i]) this.#spawn(i)?.thread.unref();
  }

  #fallBack(why: string): null {
    if (!this.fallbackReason) {
      this.fallbackReason = why;
      console.warn(`tfjs-parquet-loader: decode threads could not start (${why}); decoding on the calling thread`);
    }
    return null;
  }

  #spawn(index: number): Slot | null {
    let markReady!: (ok: boolean) => void;
    const ready = new Promise<boolean>((resolve) => (markReady = resolve));
    let started = false;
    const slot = { pending: new Map<number, Pending>(), ready } as Slot;
    const events: DecodeThreadEvents = {
      message: (msg) => {
        if ('ready' in msg) {
          started = true;
          markReady(true);
          return;
        }
        const p = slot.pending.get(msg.id);
        if (!p) return;
        slot.pending.delete(msg.id);
        // Not while closing: close() refs the thread so that awaiting its exit keeps the process alive.
        if (slot.pending.size === 0 && !this.#closed) slot.thread.unref();
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new ParquetReadError(msg.reason, { file: p.task.file, rowGroup: p.task.rowGroup, column: msg.column, page: msg.page }));
      },
      failure: (why, cause) => {
        if (this.#slots[index] === slot) this.#slots[index] = null;
        if (!started) {
          markReady(false);
          if (!this.#closed) this.#fallBack(why);
        }
        for (const p of slot.pending.values()) p.reject(new ParquetReadError(`decode worker ${why}`, { file: p.task.file, rowGroup: p.task.rowGroup }, { cause }));
        slot.pending.clear();
      },
    };
    try {
      slot.thread = this.#spawnThread(events);
    } catch (err) {
      return this.#fallBack(err instanceof Error ? err.message : String(err));
    }
    this.#slots[index] = slot;
    return slot;
  }

  async run(task: DecodeTask): Promise<DecodedRowGroup> {
    if (this.#closed) throw new Error('DecodePool is closed');
    const slot = this.fallbackReason ? null : this.#slot();
    if (slot) slot.thread.ref();
    if (!slot || !(await slot.ready)) return decodeRowGroup(task);
    if (this.#closed) throw new Error('DecodePool is closed');
    // The thread may have died while this task waited for it to start: a dead thread never answers.
    if (!this.#slots.includes(slot)) return this.run(task);
    const id = this.#nextId++;
    return new Promise<DecodedRowGroup>((resolve, reject) => {
      slot.pending.set(id, { task, resolve, reject });
      slot.thread.ref();
      slot.thread.postMessage({ id, task }, task.buffers);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.filter((s): s is Slot => s !== null);
    this.#slots.fill(null);
    // ref() first: an idle thread is unref'd, and awaiting the exit of an unref'd worker lets a script whose
    // only pending work is this close() end with "unsettled top-level await" (exit 13) before it resolves.
    await Promise.all(
      slots.map((s) => {
        s.thread.ref();
        return s.thread.terminate();
      }),
    );
  }
}
