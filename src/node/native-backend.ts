/** The backends `initBackend` tries in Node, fastest first: native TensorFlow (when tfjs-node is installed), WASM, plain JS. */
export const PREFERRED_BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/**
 * Loads `@tensorflow/tfjs-node`, which registers the native 'tensorflow' backend. It is an optional peer
 * dependency: when it is not installed the import rejects with ERR_MODULE_NOT_FOUND and `initBackend`
 * moves on to the WASM backend.
 */
export async function loadNativeBackend(): Promise<void> {
  await import('@tensorflow/tfjs-node');
}
