import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DecodePool } from '../readers/decode-pool.js';
import type { DecodedRowGroup, DecodeTask } from '../readers/decode-row-group.js';
import { ParquetReadError } from '../store/parquet-read-error.js';

/** Decode workers used when `workers` is not given: one per core, leaving one core to the caller, at most 4. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

interface Pending {
  task: DecodeTask;
  resolve: (r: DecodedRowGroup) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** The worker entry next to this module: `.ts` under tsx (tests), `.js` in the compiled package. */
function spawn(): Worker {
  const here = import.meta.url;
  // Workers inherit the parent's flags; --input-type (a `node -e` parent) makes a file entry fail to load.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  if (here.endsWith('.ts')) {
    // Node 20 does not apply `--import tsx` hooks to a worker's entry module, so register tsx first.
    // createRequire, not import.meta.resolve: under mocha, tsx may compile this module to CommonJS.
    // require.resolve finds the CommonJS build of tsx's API; the worker needs its ESM twin beside it.
    const api = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
    const entry = new URL('./decode-worker.ts', here).href;
    return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, { eval: true, execArgv });
  }
  return new Worker(new URL('./decode-worker.js', here), { execArgv });
}

/**
 * A fixed set of `worker_threads` decoding row groups. Task bytes are transferred in and column buffers
 * transferred out (no copies). A worker that dies fails only its own tasks (with a ParquetReadError) and
 * is replaced on the next task. Idle workers are unref'd so a forgotten reader never keeps a process alive.
 */
class WorkerDecodePool implements DecodePool {
  readonly size: number;
  #slots: (Slot | null)[];
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    this.size = size;
    this.#slots = new Array(size).fill(null);
  }

  get liveWorkers(): number {
    return this.#slots.filter((s) => s !== null).length;
  }

  #slot(): Slot {
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
    if (this.#closed) return;
    // Started idle: unref'd until a task arrives, like a worker whose tasks are done.
    for (let i = 0; i < this.#slots.length; i++) if (!this.#slots[i]) this.#spawn(i).worker.unref();
  }

  #spawn(index: number): Slot {
    const slot: Slot = { worker: spawn(), pending: new Map() };
    const failAll = (why: string, cause?: unknown) => {
      if (this.#slots[index] === slot) this.#slots[index] = null;
      for (const p of slot.pending.values()) p.reject(new ParquetReadError(`decode worker ${why}`, { file: p.task.file, rowGroup: p.task.rowGroup }, { cause }));
      slot.pending.clear();
    };
    slot.worker.on('message', (msg: { id: number; ok: boolean; result?: DecodedRowGroup; reason?: string; column?: string; page?: number }) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      // Not while closing: close() refs the worker so that awaiting its exit keeps the process alive.
      if (slot.pending.size === 0 && !this.#closed) slot.worker.unref();
      if (msg.ok) p.resolve(msg.result!);
      else p.reject(new ParquetReadError(msg.reason ?? 'decoding failed', { file: p.task.file, rowGroup: p.task.rowGroup, column: msg.column, page: msg.page }));
    });
    slot.worker.on('error', (err) => failAll(`crashed: ${err.message}`, err));
    slot.worker.on('exit', (code) => failAll(`exited with code ${code}`));
    this.#slots[index] = slot;
    return slot;
  }

  run(task: DecodeTask): Promise<DecodedRowGroup> {
    if (this.#closed) return Promise.reject(new Error('DecodePool is closed'));
    const slot = this.#slot();
    const id = this.#nextId++;
    return new Promise<DecodedRowGroup>((resolve, reject) => {
      slot.pending.set(id, { task, resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, task }, task.buffers);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.filter((s): s is Slot => s !== null);
    this.#slots.fill(null);
    // ref() first: an idle worker is unref'd, and awaiting the exit of an unref'd worker lets a script whose
    // only pending work is this close() end with "unsettled top-level await" (exit 13) before it resolves.
    await Promise.all(
      slots.map((s) => {
        s.worker.ref();
        return s.worker.terminate();
      }),
    );
  }
}

/** `size` decode threads (`worker_threads`), started on first use. */
export function createDecodePool(size: number): DecodePool {
  return new WorkerDecodePool(size);
}
