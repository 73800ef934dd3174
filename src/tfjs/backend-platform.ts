import { NOT_INSTALLED } from '../store/store-platform.js';

/** Backends the SDK can pick: native TensorFlow (tfjs-node, Node only), WebGL (browsers), WASM, plain JS. */
export type BackendName = 'tensorflow' | 'webgl' | 'wasm' | 'cpu';

/**
 * What `initBackend` takes from the platform: its backends fastest first, and how to load the native one.
 * Installed once by the platform module of an entry (see `StorePlatform`).
 */
export interface BackendPlatform {
  /** Node: tensorflow, wasm, cpu; a browser: webgl, wasm, cpu. */
  preferredBackends: readonly BackendName[];
  /** Loads `@tensorflow/tfjs-node` (Node), or throws why it cannot (a browser). */
  loadNativeBackend(): Promise<void>;
}

let installed: BackendPlatform | null = null;

/** Installs the platform's backend order (called once by the platform module of an entry). */
export function installBackendPlatform(platform: BackendPlatform): void {
  installed = platform;
}

export function backendPlatform(): BackendPlatform {
  if (!installed) throw new Error(NOT_INSTALLED);
  return installed;
}
