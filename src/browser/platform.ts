/**
 * The browser twin of src/platform.ts: the browser build puts this module in that one's place. Stores are
 * read with `fetch` (paths resolve against the page), decoding runs in Web Workers, CRC-32 in portable
 * JavaScript, and TensorFlow.js prefers WebGL. It has every export the read path uses; `localLocation`
 * (local folders, for the writer and the ingest) it has not, so a browser build that reached for it would
 * fail to bundle rather than fail at run time.
 */
export { pathLocation } from './page-location.js';
export { createDecodePool, defaultWorkerCount } from './web-worker-decode-pool.js';
export { portableCrc32 as crc32 } from '../store/portable-crc32.js';

/** The backends `initBackend` tries in a browser, fastest first: WebGL where the browser has it, WASM, plain JS. */
export const PREFERRED_BACKENDS = ['webgl', 'wasm', 'cpu'] as const;

const PAGE_IMPORTS: Record<string, string> = {
  webgl: "'@tensorflow/tfjs-backend-webgl' (or '@tensorflow/tfjs', which brings it)",
  wasm: "'@tensorflow/tfjs-backend-wasm'",
  cpu: "'@tensorflow/tfjs-backend-cpu' (or '@tensorflow/tfjs', which brings it)",
};

/**
 * A page's bundle imports no backend package by itself: a bundler would have to find every one of them,
 * installed or not. `initBackend` uses the backends the page registered (by importing their packages), and
 * this says which import a missing one needs; tfjs-node is a Node addon, so asking for 'tensorflow' says so.
 */
export async function importBackend(name: string): Promise<void> {
  if (name === 'tensorflow') throw new Error("the 'tensorflow' backend is @tensorflow/tfjs-node, which runs in Node only; in a browser use 'webgl', 'wasm' or 'cpu'");
  throw new Error(`the '${name}' backend is not registered: import ${PAGE_IMPORTS[name] ?? `the package of the '${name}' backend`} in the page`);
}

