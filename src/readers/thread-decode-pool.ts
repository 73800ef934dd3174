import type { Column } from '../schema/columns.js';
import { ParquetReadError } from '../store/parquet-read-error.js';
import { type ColumnRead, ColumnCursorHost, type FileRangeReader } from './column-cursor-host.js';
import type { DecodeThreadMessage, DecodeThreadOutput } from './decode-message.js';
import type { DecodePool } from './decode-pool.js';
import { type DecodedRowGroup, type DecodeTask, decodeRowGroup } from './decode-row-group.js';
import { spareBuffers } from './spare-buffers.js';

/** One decode thread as the pool drives it: a `worker_threads` Worker in Node, a Web Worker in a browser. */
export interface DecodeThread {
  postMessage(message: DecodeThreadMessage, transfer: ArrayBuffer[]): void;
  /** Node: keep the process alive while the thread has work, and let it exit when idle. Browsers: nothing. */
  ref(): void;
  unref(): void;
  terminate(): Promise<unknown> | void;
}

/** What a thread reports to its pool: each message, and its death (crash, exit, or failure to load). */
export interface DecodeThreadEvents {
  message(msg: DecodeThreadOutput): void;
  failure(why: string, cause?: unknown): void;
}

/** Starts one decode thread; the platform seam supplies it. Throwing means threads cannot start here. */
export type SpawnDecodeThread = (events: DecodeThreadEvents) => DecodeThread;

interface Pending {
  /** For errors: the file and row group decoded. */
  where: { file: string; rowGroup: number };
  resolve: (r: DecodedRowGroup) => void;
  reject: (e: Error) => void;
}

interface Slot {
  thread: DecodeThread;
  /** Stopped by the pool for being idle: its exit is not a failure. */
  retired?: boolean;
  pending: Map<number, Pending>;
  /** The thread said it is ready (it loaded its code). */
  started: boolean;
}

/** Byte reads that failed for a thread, kept until the column read they ended reports it (bounded). */
const MAX_FAILED_READS = 64;
/**
 * Threads with no task for this long are stopped (started again on the next task). A reader left before its
 * end (an epoch of `fitDataset` with `batchesPerEpoch`, early stopping, `take`) never closes its pool: without
 * this its threads stayed for the life of the process, one set per epoch left.
 */
export const DEFAULT_IDLE_MS = 10_000;

/**
 * A fixed set of decode threads. Task bytes are transferred in and column buffers transferred out (no
 * copies). Tasks go to a thread only once it said it is ready; until then they are decoded on the calling
 * thread, which would otherwise sit waiting for the thread to load its code (a first batch in ~0.1 s, not
 * ~0.3 s). A thread that cannot start (a page whose content security policy forbids workers, a bundle
 * served from another origin) has not taken any bytes, so the pool goes on decoding on the calling thread,
 * once warned, rather than failing the read. A thread
 * that dies after it started fails only its own tasks (with a ParquetReadError) and is replaced on the
 * next task. Idle threads are unref'd (Node), so a forgotten reader never keeps a process alive.
 *
 * Column reads by cursor go to the thread holding that cursor (a new one to the least busy thread); the
 * thread asks for the bytes it needs, which the pool reads with `readFile` (the store's fetcher, its cache
 * and request slots, on this thread) and transfers. A failed byte read fails the column read with the
 * fetcher's own error.
 */
export class ThreadDecodePool implements DecodePool {
  readonly size: number;
  readonly #spawnThread: SpawnDecodeThread;
  readonly #readFile: FileRangeReader;
  #slots: (Slot | null)[];
  #nextId = 1;
  #closed = false;
  /** Which thread holds each cursor. */
  readonly #cursorSlots = new Map<string, Slot>();
  /** Errors of byte reads a thread asked for, by the thread's number for the read. */
  readonly #failedReads = new Map<Slot, Map<number, unknown>>();
  /** Cursors on this thread: those begun before any thread was ready, or all when threads cannot start. */
  #inline: ColumnCursorHost | null = null;
  /** Keys of the cursors `#inline` holds while threads run (a cursor stays where it began). */
  readonly #inlineKeys = new Set<string>();
  /** Why tasks are decoded on the calling thread (threads could not start), or null. */
  fallbackReason: string | null = null;

  readonly #idleMs: number;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(size: number, spawn: SpawnDecodeThread, readFile: FileRangeReader, idleMs = DEFAULT_IDLE_MS) {
    this.size = size;
    this.#spawnThread = spawn;
    this.#readFile = readFile;
    this.#slots = new Array(size).fill(null);
    this.#idleMs = idleMs;
  }

  /**
   * Stops the threads once none has had a task for `idleMs` (unless they hold cursors: a cursor begun again
   * would read its chunk again from its start). The timer never keeps a process alive.
   */
  #armIdleStop(): void {
    this.#cancelIdleStop();
    if (this.#closed || this.#slots.every((s) => s === null) || this.#slots.some((s) => s !== null && s.pending.size > 0)) return;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#closed || this.#cursorSlots.size > 0 || this.#slots.some((s) => s !== null && s.pending.size > 0)) return;
      for (let i = 0; i < this.#slots.length; i++) {
        const slot = this.#slots[i];
        if (!slot) continue;
        slot.retired = true;
        this.#slots[i] = null;
        this.#failedReads.delete(slot);
        void Promise.resolve(slot.thread.terminate()).catch(() => {});
      }
    }, this.#idleMs);
    (this.#idleTimer as { unref?: () => void }).unref?.();
  }

  get liveWorkers(): number {
    return this.#slots.filter((s) => s !== null).length;
  }

  /** How busy a thread is for a task: its pending tasks (a thread still loading takes none). */
  static readonly #taskLoad = (s: Slot): number => (s.started ? s.pending.size : Infinity);

  /** The thread for a task: the started one with the fewest pending. */
  #slot(): Slot | null {
    return this.#leastLoaded(ThreadDecodePool.#taskLoad);
  }

  /** The thread with the least `load`, missing threads started first (idle until they are ready). */
  #leastLoaded(load: (s: Slot) => number): Slot | null {
    return this.#startMissing() ? this.#least(load) : null;
  }

  /** The live thread with the least `load` (none started here), or null. */
  #least(load: (s: Slot) => number): Slot | null {
    let best: Slot | null = null;
    for (const s of this.#slots) if (s && (!best || load(s) < load(best))) best = s;
    return best;
  }

  /**
   * Starts every missing thread, idle (unref'd: a task refs the thread it is posted to, as one whose tasks
   * are done is unref'd). False when threads cannot start here.
   */
  #startMissing(): boolean {
    for (let i = 0; i < this.#slots.length; i++) {
      if (this.#slots[i]) continue;
      const s = this.#spawn(i);
      if (!s) return false;
      s.thread.unref();
    }
    return true;
  }

  /**
   * The thread for a new cursor: the one holding the fewest (the columns of a row group are read together,
   * so they spread over the threads and decode in parallel), starting a thread where one is missing.
   */
  #slotForCursor(): Slot | null {
    const held = new Map<Slot, number>();
    for (const s of this.#cursorSlots.values()) held.set(s, (held.get(s) ?? 0) + 1);
    return this.#leastLoaded((s) => held.get(s) ?? 0);
  }

  start(): void {
    if (this.#closed || this.fallbackReason) return;
    this.#startMissing();
    this.#armIdleStop();
  }

  #fallBack(why: string): null {
    if (!this.fallbackReason) {
      this.fallbackReason = why;
      console.warn(`tfjs-parquet-loader: decode threads could not start (${why}); decoding on the calling thread`);
    }
    return null;
  }

  #spawn(index: number): Slot | null {
    const slot = { pending: new Map<number, Pending>(), started: false } as Slot;
    const events: DecodeThreadEvents = {
      message: (msg) => {
        if ('ready' in msg) {
          slot.started = true;
          this.#armIdleStop();
          return;
        }
        if ('need' in msg) {
          this.#serve(slot, msg.need, msg.file, msg.ranges);
          return;
        }
        const p = slot.pending.get(msg.id);
        if (!p) return;
        slot.pending.delete(msg.id);
        // Not while closing: close() refs the thread so that awaiting its exit keeps the process alive.
        if (slot.pending.size === 0 && !this.#closed) {
          slot.thread.unref();
          this.#armIdleStop();
        }
        if (msg.ok) return p.resolve(msg.result);
        const failed = this.#failedReads.get(slot);
        const original = msg.pieces === undefined ? undefined : failed?.get(msg.pieces);
        if (original !== undefined) {
          failed!.delete(msg.pieces!);
          p.reject(original as Error);
        } else p.reject(new ParquetReadError(msg.reason, { file: p.where.file, rowGroup: p.where.rowGroup, column: msg.column, page: msg.page }));
      },
      failure: (why, cause) => {
        if (slot.retired) return;
        if (this.#slots[index] === slot) this.#slots[index] = null;
        this.#failedReads.delete(slot);
        if (!slot.started && !this.#closed) this.#fallBack(why);
        for (const p of slot.pending.values()) p.reject(new ParquetReadError(`decode worker ${why}`, { file: p.where.file, rowGroup: p.where.rowGroup }, { cause }));
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

  #cancelIdleStop(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  async run(task: DecodeTask): Promise<DecodedRowGroup> {
    if (this.#closed) throw new Error('DecodePool is closed');
    this.#cancelIdleStop();
    const slot = this.fallbackReason ? null : this.#slot();
    if (!slot || !slot.started) {
      try {
        return await decodeRowGroup(task);
      } finally {
        this.#armIdleStop();
      }
    }
    const id = this.#nextId++;
    return new Promise<DecodedRowGroup>((resolve, reject) => {
      slot.pending.set(id, { where: { file: task.file, rowGroup: task.rowGroup }, resolve, reject });
      slot.thread.ref();
      slot.thread.postMessage({ id, task }, task.buffers);
    });
  }

  async readColumn(read: ColumnRead): Promise<Column> {
    if (this.#closed) throw new Error('DecodePool is closed');
    this.#cancelIdleStop();
    const held = this.#cursorSlots.get(read.key);
    const slot = this.fallbackReason || this.#inlineKeys.has(read.key) ? null : held && this.#slots.includes(held) ? held : this.#slotForCursor();
    if (!slot || !slot.started) {
      if (slot) this.#inlineKeys.add(read.key);
      this.#inline ??= new ColumnCursorHost(this.#readFile);
      try {
        return await this.#inline.read(read);
      } finally {
        this.#armIdleStop();
      }
    }
    this.#cursorSlots.set(read.key, slot);
    const id = this.#nextId++;
    const decoded = await new Promise<DecodedRowGroup>((resolve, reject) => {
      slot.pending.set(id, { where: { file: read.where.file, rowGroup: read.where.rowGroup ?? 0 }, resolve, reject });
      slot.thread.ref();
      slot.thread.postMessage({ id, read }, []);
    });
    return decoded.columns[read.spec.name]!;
  }

  recycle(buffers: ArrayBuffer[]): void {
    if (buffers.length === 0) return;
    // To the thread the next task likely goes to; none ready: kept here, where tasks decode meanwhile.
    const slot = this.#closed ? null : this.#least(ThreadDecodePool.#taskLoad);
    if (!slot?.started) return spareBuffers.give(buffers);
    slot.thread.postMessage({ spare: buffers }, buffers);
  }

  dropColumns(keys: readonly string[]): void {
    this.#inline?.drop(keys);
    for (const key of keys) this.#inlineKeys.delete(key);
    const bySlot = new Map<Slot, string[]>();
    for (const key of keys) {
      const slot = this.#cursorSlots.get(key);
      this.#cursorSlots.delete(key);
      if (slot && this.#slots.includes(slot)) bySlot.set(slot, [...(bySlot.get(slot) ?? []), key]);
    }
    for (const [slot, drop] of bySlot) slot.thread.postMessage({ drop }, []);
  }

  /** Reads the ranges a thread asked for and transfers them (copied: the fetcher's may share a cached buffer). */
  #serve(slot: Slot, need: number, file: string, ranges: { start: number; end: number }[]): void {
    this.#readFile(file, ranges).then(
      (pieces) => {
        if (!this.#slots.includes(slot)) return;
        const bytes = pieces.map((p) => ({ start: p.start, end: p.end, bytes: p.bytes.slice() }));
        slot.thread.postMessage({ pieces: need, ok: true, bytes }, bytes.map((p) => p.bytes.buffer as ArrayBuffer));
      },
      (err: unknown) => {
        if (!this.#slots.includes(slot)) return;
        let failed = this.#failedReads.get(slot);
        if (!failed) this.#failedReads.set(slot, (failed = new Map()));
        failed.set(need, err);
        // Only the latest failures are kept: one that no column read reports (a read ahead abandoned) goes.
        if (failed.size > MAX_FAILED_READS) failed.delete(failed.keys().next().value!);
        slot.thread.postMessage({ pieces: need, ok: false, reason: err instanceof Error ? err.message : String(err) }, []);
      },
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelIdleStop();
    this.#inline?.close();
    this.#cursorSlots.clear();
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
