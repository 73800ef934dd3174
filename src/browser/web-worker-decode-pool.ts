import type { FileRangeReader } from '../readers/column-cursor-host.js';
import type { DecodePool } from '../readers/decode-pool.js';
import { type DecodeThread, type DecodeThreadEvents, ThreadDecodePool } from '../readers/thread-decode-pool.js';

/** The part of a Web Worker the pool uses (declared here: the SDK's types do not depend on the DOM library). */
interface WebWorker {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (e: { message?: string }) => void): void;
}

type WorkerConstructor = new (url: URL, options: { type: 'module'; name?: string }) => WebWorker;

/** Decode workers used when `workers` is not given: one per core, leaving one to the page, at most 4; 0 where there are no Workers. */
export function defaultWorkerCount(): number {
  if (typeof (globalThis as { Worker?: unknown }).Worker !== 'function') return 0;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
  return Math.max(1, Math.min(4, cores - 1));
}

function webWorkerThread(events: DecodeThreadEvents): DecodeThread {
  const Ctor = (globalThis as { Worker?: WorkerConstructor }).Worker;
  if (typeof Ctor !== 'function') throw new Error('this environment has no Web Workers');
  // The literal `new Worker(new URL('./decode-worker.js', import.meta.url), …)` form is the one bundlers
  // (Vite, webpack 5, esbuild's output) recognise and keep next to this module.
  const worker: WebWorker = new Ctor(new URL('./decode-worker.js', import.meta.url), { type: 'module', name: 'tfpl-decode' });
  worker.addEventListener('message', (e) => events.message(e.data as Parameters<DecodeThreadEvents['message']>[0]));
  worker.addEventListener('error', (e) => events.failure(`failed: ${e.message ?? 'the worker script did not load (is decode-worker.js served next to the SDK bundle?)'}`, e));
  worker.addEventListener('messageerror', () => events.failure('sent a message that could not be read'));
  return {
    postMessage: (msg, transfer) => worker.postMessage(msg, transfer),
    ref: () => {},
    unref: () => {},
    terminate: () => worker.terminate(),
  };
}

/** `size` Web Workers decoding row groups, started on first use. */
export function createDecodePool(size: number, readFile: FileRangeReader): DecodePool {
  return new ThreadDecodePool(size, webWorkerThread, readFile);
}
