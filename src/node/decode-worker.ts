// Worker entry (worker_threads): decodes row groups and column slices for the decode pool and transfers the column buffers back.
import '../platform.js';
import { parentPort } from 'node:worker_threads';
import { loadCompressors } from '../readers/compressors.js';
import { decodeThreadBody, type DecodeThreadMessage } from '../readers/decode-message.js';

const port = parentPort;
if (!port) throw new Error('decode-worker must run in a worker thread');
// Compile the zstd decoder while the first task's bytes are still being read (decoding awaits it).
void loadCompressors(['ZSTD']);
const onMessage = decodeThreadBody((msg, transfer) => port.postMessage(msg, transfer));
port.on('message', (msg: DecodeThreadMessage) => onMessage(msg));
port.postMessage({ ready: true });
