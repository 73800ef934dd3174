/**
 * The one seam between the platform-neutral read path (store, readers, windowing, tfjs adapter) and Node:
 * local files, decode threads, the core count and the TensorFlow.js backend packages. Read-path modules take
 * these from here only, never from `node:*` directly; the browser build (scripts/bundle-browser.ts) puts
 * src/browser/platform.ts in this module's place: its twin with every export the read path uses (not
 * `localLocation`, which only the writer and the ingest use).
 */
export { localLocation, pathLocation } from './node/local-location.js';
export { createDecodePool, defaultWorkerCount } from './node/worker-decode-pool.js';
export { importBackend, PREFERRED_BACKENDS } from './node/native-backend.js';
export { crc32 } from './node/crc32.js';
