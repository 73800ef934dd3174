// Web Worker entry (a module worker): decodes row groups sent by the decode pool and transfers the column buffers back.
import './platform.js';
import { loadCompressors } from '../readers/compressors.js';
import { answerDecodeRequest, type DecodeRequest } from '../readers/decode-message.js';

interface WorkerScope {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  addEventListener(type: 'message', listener: (e: { data: DecodeRequest }) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
// Compile the zstd decoder while the first task's bytes are still being fetched (decoding awaits it).
void loadCompressors(['ZSTD']);
scope.addEventListener('message', (e) => {
  void answerDecodeRequest(e.data).then(({ reply, transfer }) => scope.postMessage(reply, transfer));
});
scope.postMessage({ ready: true });
