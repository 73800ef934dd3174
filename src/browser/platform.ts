/**
 * The browser twin of src/platform.ts, put in its place by the browser build: it installs `fetch` locations
 * (paths resolve against the page), Web Worker decode threads, portable CRC-32 and WebGL-first backends into
 * the stages that declare them. Nothing here is Node's, so a browser build that reached for Node would fail
 * to bundle rather than fail at run time.
 */
import { installDecodePlatform } from '../readers/decode-platform.js';
import { portableCrc32 } from '../store/portable-crc32.js';
import { installStorePlatform } from '../store/store-platform.js';
import { installBackendPlatform } from '../tfjs/backend-platform.js';
import { pathLocation } from './page-location.js';
import { createDecodePool, defaultWorkerCount } from './web-worker-decode-pool.js';

installStorePlatform({ crc32: portableCrc32, pathLocation });
installDecodePlatform({ createDecodePool, defaultWorkerCount });
installBackendPlatform({
  preferredBackends: ['webgl', 'wasm', 'cpu'],
  // tfjs-node is a Node addon: asking for the 'tensorflow' backend in a browser says so.
  loadNativeBackend: async () => {
    throw new Error("the 'tensorflow' backend is @tensorflow/tfjs-node, which runs in Node only; in a browser use 'webgl', 'wasm' or 'cpu'");
  },
});
