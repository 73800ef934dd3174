import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FileRangeReader } from '../readers/column-cursor-host.js';
import type { DecodePool } from '../readers/decode-pool.js';
import { type DecodeThread, type DecodeThreadEvents, ThreadDecodePool } from '../readers/thread-decode-pool.js';

/** Decode workers used when `workers` is not given: one per core, leaving one core to the caller, at most 4. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** The worker entry next to this module: `.ts` under tsx (tests), `.js` in the compiled package. */
function spawnWorker(): Worker {
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

function workerThread(events: DecodeThreadEvents): DecodeThread {
  const worker = spawnWorker();
  worker.on('message', events.message);
  worker.on('error', (err) => events.failure(`crashed: ${err.message}`, err));
  worker.on('exit', (code) => events.failure(`exited with code ${code}`));
  return {
    postMessage: (msg, transfer) => worker.postMessage(msg, transfer),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate: () => worker.terminate(),
  };
}

/** `size` decode threads (`worker_threads`), started on first use. */
export function createDecodePool(size: number, readFile: FileRangeReader): DecodePool {
  return new ThreadDecodePool(size, workerThread, readFile);
}
