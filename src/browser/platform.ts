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

/** tfjs-node is a Node addon: asking for the 'tensorflow' backend in a browser says so. */
export async function loadNativeBackend(): Promise<void> {
  throw new Error("the 'tensorflow' backend is @tensorflow/tfjs-node, which runs in Node only; in a browser use 'webgl', 'wasm' or 'cpu'");
}

