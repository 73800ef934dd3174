/** The backends `initBackend` tries in Node, fastest first: native TensorFlow (when tfjs-node is installed), WASM, plain JS. */
export const PREFERRED_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/**
 * Imports the package that registers backend `name`: `@tensorflow/tfjs-node` ('tensorflow'),
 * `@tensorflow/tfjs-backend-wasm` or `@tensorflow/tfjs-backend-cpu`. Each is an optional peer dependency: when
 * it is not installed the import rejects with ERR_MODULE_NOT_FOUND and `initBackend` moves on to the next one.
 * They resolve from here to the application's own TensorFlow.js, so they register into its one engine.
 */
export async function importBackend(name: string): Promise<void> {
  if (name === 'tensorflow') await import('@tensorflow/tfjs-node');
  else if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  else if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  else throw new Error(`the '${name}' backend runs in browsers only; in Node use 'tensorflow', 'wasm' or 'cpu'`);
}
