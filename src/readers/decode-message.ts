import { ParquetReadError } from '../store/parquet-read-error.js';
import { type DecodedRowGroup, type DecodeTask, decodeRowGroup } from './decode-row-group.js';
import { prepareTransfer } from './transfer-list.js';

/** What a decode thread is sent: one row group's task, its bytes transferred. */
export interface DecodeRequest {
  id: number;
  task: DecodeTask;
}

/** What a decode thread answers: the columns (their buffers transferred), or why it could not decode. */
export type DecodeReply = { id: number; ok: true; result: DecodedRowGroup } | { id: number; ok: false; reason: string; column?: string; page?: number };

/** The first message of every decode thread: its code loaded, it takes tasks (a thread that never sends it failed to start). */
export interface DecodeThreadReady {
  ready: true;
}

/**
 * The body of every decode thread (Node's `worker_threads` and a browser's Web Workers): decodes one
 * request and returns the reply with the buffers to transfer back.
 */
export async function answerDecodeRequest(msg: DecodeRequest): Promise<{ reply: DecodeReply; transfer: ArrayBuffer[] }> {
  try {
    const result = await decodeRowGroup(msg.task);
    return { reply: { id: msg.id, ok: true, result }, transfer: prepareTransfer(result) };
  } catch (err) {
    const reason = err instanceof ParquetReadError ? err.reason : err instanceof Error ? err.message : String(err);
    const where = err instanceof ParquetReadError ? { column: err.column, page: err.page } : {};
    return { reply: { id: msg.id, ok: false, reason, ...where }, transfer: [] };
  }
}
