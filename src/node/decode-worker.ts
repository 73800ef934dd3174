// Worker entry: decodes row groups sent by DecodePool and transfers the column buffers back.
import { parentPort } from 'node:worker_threads';
import { loadCompressors } from '../readers/compressors.js';
import { type DecodeTask, decodeRowGroup } from '../readers/decode-row-group.js';
import { ParquetReadError } from '../store/parquet-read-error.js';
import { prepareTransfer } from '../readers/transfer-list.js';

const port = parentPort;
if (!port) throw new Error('decode-worker must run in a worker thread');
// Compile the zstd decoder while the first task's bytes are still being read (decodeRowGroup awaits it).
void loadCompressors(['ZSTD']);

port.on('message', (msg: { id: number; task: DecodeTask }) => {
  decodeRowGroup(msg.task).then(
    (result) => {
      const transfer = prepareTransfer(result);
      port.postMessage({ id: msg.id, ok: true, result }, transfer);
    },
    (err: unknown) => {
      const reason = err instanceof ParquetReadError ? err.reason : err instanceof Error ? err.message : String(err);
      const where = err instanceof ParquetReadError ? { column: err.column, page: err.page } : {};
      port.postMessage({ id: msg.id, ok: false, reason, ...where });
    },
  );
});
