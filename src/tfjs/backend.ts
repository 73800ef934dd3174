import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, backendPlatform } from './backend-platform.js';

export type { BackendName } from './backend-platform.js';

/** Which backend is active, and why the faster ones were not. */
export interface BackendReport {
  name: string;
  /** True when `@tensorflow/tfjs-node` was loaded. */
  tfjsNode: boolean;
  /** Backends tried before `name`, with the reason each one was skipped. */
  skipped: { name: BackendName; reason: string }[];
}

/** A backend the application registered already (by importing its package) is used as it is. */
async function load(name: BackendName): Promise<void> {
  if (!tf.findBackendFactory(name)) await backendPlatform().importBackend(name);
}

/**
 * The one place the SDK chooses a TensorFlow.js backend: `preferred` first, then, in Node, tfjs-node when
 * installed, else WASM (`@tensorflow/tfjs-backend-wasm`), else CPU (`@tensorflow/tfjs-backend-cpu`), each
 * imported when the application has not registered it; in a browser, of the backends the page registered
 * (`@tensorflow/tfjs` registers WebGL and CPU; import `@tensorflow/tfjs-backend-wasm` for WASM and call its
 * `setWasmPaths` when the page does not serve the `.wasm` files beside the bundle), WebGL where the browser
 * has it, else WASM, else CPU. Returns which one is active.
 *
 * @example
 * const { name } = await initBackend(); // Node: 'tensorflow', 'wasm' or 'cpu'; a browser: 'webgl', 'wasm' or 'cpu'
 * const report = await initBackend('cpu');
 */
export async function initBackend(preferred?: BackendName): Promise<BackendReport> {
  // This platform's order, fastest first: Node tries tfjs-node, then WASM; a browser tries WebGL, then WASM.
  const platformOrder = backendPlatform().preferredBackends;
  const order = preferred ? [preferred, ...platformOrder.filter((b) => b !== preferred)] : platformOrder;
  const skipped: BackendReport['skipped'] = [];
  for (const name of order) {
    try {
      await load(name);
      if (await tf.setBackend(name)) {
        await tf.ready();
        return { name: tf.getBackend(), tfjsNode: name === 'tensorflow', skipped };
      }
      skipped.push({ name, reason: 'tf.setBackend returned false' });
    } catch (err) {
      skipped.push({ name, reason: err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message.split('\n')[0]}` : String(err) });
    }
  }
  throw new Error(`initBackend: no TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}`);
}
