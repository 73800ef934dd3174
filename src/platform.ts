/**
 * The one seam between the platform-neutral read path (store, readers, windowing, tfjs adapter) and Node:
 * local files, decode threads, the core count and the native TensorFlow backend. Read-path modules take
 * these from here only, never from `node:*` directly; the browser build (scripts/bundle-browser.ts) puts
 * src/browser/platform.ts, its twin with the same exports, in this module's place.
 */
export { localLocation, pathLocation } from './node/local-location.js';
export { createDecodePool, defaultWorkerCount } from './node/worker-decode-pool.js';
export { loadNativeBackend, PREFERRED_BACKENDS } from './node/native-backend.js';
export { crc32 } from './node/crc32.js';
