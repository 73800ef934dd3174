/**
 * The one seam between the platform-neutral read path (store, readers, windowing, tfjs adapter) and Node:
 * local files, decode threads, the core count and the native TensorFlow backend. Read-path modules take
 * these from here only, never from `node:*` directly, so a browser build replaces this one module (a
 * bundler's `browser` field mapping) with its own twin: `fetch`-backed locations, Web Workers.
 */
export { localLocation } from './node/local-location.js';
export { createDecodePool, defaultWorkerCount } from './node/worker-decode-pool.js';
export { loadNativeBackend } from './node/native-backend.js';
export { crc32 } from './node/crc32.js';
