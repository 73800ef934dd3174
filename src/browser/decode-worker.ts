// Web Worker entry (a module worker): decodes row groups and column slices for the decode pool and transfers the column buffers back.
import './platform.js';
import { loadCompressors } from '../readers/compressors.js';
import { decodeThreadBody, type DecodeThreadMessage } from '../readers/decode-message.js';

interface WorkerScope {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (e: { data: DecodeThreadMessage }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
// Compile the zstd decoder while the first task's bytes are still being fetched (decoding awaits it).
void loadCompressors(['ZSTD']);
const onMessage = decodeThreadBody((msg, transfer) => scope.postMessage(msg, transfer));
scope.addEventListener('message', (e) => onMessage(e.data));
scope.postMessage({ ready: true });
