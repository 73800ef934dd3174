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
async function importBackend(name: string): Promise<void> {
  if (name === 'tensorflow') throw new Error("the 'tensorflow' backend is @tensorflow/tfjs-node, which runs in Node only; in a browser use 'webgl', 'wasm' or 'cpu'");
  throw new Error(`the '${name}' backend is not registered: import ${PAGE_IMPORTS[name] ?? `the package of the '${name}' backend`} in the page`);
}

installStorePlatform({ crc32: portableCrc32, pathLocation });
installDecodePlatform({ createDecodePool, defaultWorkerCount });
installBackendPlatform({ preferredBackends: ['webgl', 'wasm', 'cpu'], importBackend });
