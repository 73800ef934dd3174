// Worker entry (worker_threads): decodes row groups sent by the decode pool and transfers the column buffers back.
import '../platform.js';
import { parentPort } from 'node:worker_threads';
import { loadCompressors } from '../readers/compressors.js';
import { answerDecodeRequest, type DecodeRequest } from '../readers/decode-message.js';

const port = parentPort;
if (!port) throw new Error('decode-worker must run in a worker thread');
// Compile the zstd decoder while the first task's bytes are still being read (decoding awaits it).
void loadCompressors(['ZSTD']);
port.on('message', (msg: DecodeRequest) => {
  void answerDecodeRequest(msg).then(({ reply, transfer }) => port.postMessage(reply, transfer));
});
port.postMessage({ ready: true });
