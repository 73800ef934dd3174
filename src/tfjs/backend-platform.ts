import { NOT_INSTALLED } from '../store/store-platform.js';

/** Backends the SDK can pick: native TensorFlow (tfjs-node, Node only), WebGL (browsers), WASM, plain JS. */
export type BackendName = 'tensorflow' | 'webgl' | 'wasm' | 'cpu';

/**
 * What `initBackend` takes from the platform: its backends fastest first, and how to register one the
 * application has not. Installed once by the platform module of an entry (see `StorePlatform`).
 */
export interface BackendPlatform {
  /** Node: tensorflow, wasm, cpu; a browser: webgl, wasm, cpu. */
  preferredBackends: readonly BackendName[];
  /**
   * Registers backend `name` by importing its package (Node: the optional peers tfjs-node, tfjs-backend-wasm,
   * tfjs-backend-cpu), or throws which import the application needs (a browser imports none by itself).
   */
  importBackend(name: BackendName): Promise<void>;
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
