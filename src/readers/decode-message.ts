import { ParquetReadError } from '../store/parquet-read-error.js';
import type { ByteRange, FetchedPiece } from '../store/range-fetcher.js';
import { type ColumnRead, ColumnCursorHost } from './column-cursor-host.js';
import { type DecodedRowGroup, type DecodeTask, decodeRowGroup } from './decode-row-group.js';
import { spareBuffers } from './spare-buffers.js';
import { prepareTransfer } from './transfer-list.js';

/** What a decode thread is sent: one row group's task, its bytes transferred. */
export interface DecodeRequest {
  id: number;
  task: DecodeTask;
}

/** A slice of a column chunk for the thread's cursor of it (which fetches its bytes by `PiecesNeeded`). */
export interface ColumnReadRequest {
  id: number;
  read: ColumnRead;
}

/** Column buffers the reader is done with (transferred): the thread decodes its next outputs into them. */
export interface SpareBuffersGift {
  spare: ArrayBuffer[];
}

/** Cursors the reader is done with: the thread frees them. */
export interface ColumnDropRequest {
  drop: string[];
}

/** The answer to a thread's `PiecesNeeded`: the bytes (transferred), or why they could not be read. */
export type PiecesAnswer = { pieces: number; ok: true; bytes: FetchedPiece[] } | { pieces: number; ok: false; reason: string };

/** Everything a decode thread is sent. */
export type DecodeThreadMessage = DecodeRequest | ColumnReadRequest | ColumnDropRequest | SpareBuffersGift | PiecesAnswer;

/**
 * What a decode thread answers: the columns (their buffers transferred), or why it could not decode;
 * `pieces` names the byte read whose failure ended a column read (the caller has its error).
 */
export type DecodeReply = { id: number; ok: true; result: DecodedRowGroup } | { id: number; ok: false; reason: string; column?: string; page?: number; pieces?: number };

/** A decode thread asking the thread that owns the store for byte ranges of one of its files. */
export interface PiecesNeeded {
  need: number;
  file: string;
  ranges: ByteRange[];
}

/** The first message of every decode thread: its code loaded, it takes tasks (a thread that never sends it failed to start). */
export interface DecodeThreadReady {
  ready: true;
}

/** Everything a decode thread sends. */
export type DecodeThreadOutput = DecodeReply | PiecesNeeded | DecodeThreadReady;

/** A byte read that failed on the thread owning the store: the decode thread only says which. */
class PiecesFailed extends Error {
  constructor(
    readonly pieces: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** The failed byte read somewhere in `err`'s causes, if any. */
function piecesFailure(err: unknown): number | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof PiecesFailed) return e.pieces;
  }
  return undefined;
}

function failureReply(id: number, err: unknown): DecodeReply {
  const reason = err instanceof ParquetReadError ? err.reason : err instanceof Error ? err.message : String(err);
  const where = err instanceof ParquetReadError ? { column: err.column, page: err.page } : {};
  const pieces = piecesFailure(err);
  return { id, ok: false, reason, ...where, ...(pieces === undefined ? {} : { pieces }) };
}

/**
 * The body of every decode thread (Node's `worker_threads` and a browser's Web Workers): decodes row groups
 * sent whole, and reads column slices by the thread's cursors, whose bytes it asks the store's thread for.
 * `post` sends a message with the buffers to transfer.
 *
 * @example
 * const onMessage = decodeThreadBody((msg, transfer) => port.postMessage(msg, transfer));
 * port.on('message', onMessage);
 */
export function decodeThreadBody(post: (msg: DecodeThreadOutput, transfer: ArrayBuffer[]) => void): (msg: DecodeThreadMessage) => void {
  const waiting = new Map<number, { resolve: (p: FetchedPiece[]) => void; reject: (e: Error) => void }>();
  let nextNeed = 1;
  const host = new ColumnCursorHost(
    (file, ranges) =>
      new Promise<FetchedPiece[]>((resolve, reject) => {
        const need = nextNeed++;
        waiting.set(need, { resolve, reject });
        post({ need, file, ranges: ranges.map((r) => ({ start: r.start, end: r.end })) }, []);
      }),
  );
  return (msg) => {
    if ('pieces' in msg) {
      const w = waiting.get(msg.pieces);
      waiting.delete(msg.pieces);
      if (msg.ok) w?.resolve(msg.bytes);
      else w?.reject(new PiecesFailed(msg.pieces, msg.reason));
    } else if ('drop' in msg) {
      host.drop(msg.drop);
    } else if ('spare' in msg) {
      spareBuffers.give(msg.spare);
    } else if ('read' in msg) {
      const { id, read } = msg;
      host.read(read).then(
        (column) => {
          const result: DecodedRowGroup = { numRows: read.rowEnd - read.rowStart, columns: { [read.spec.name]: column } };
          const transfer = prepareTransfer(result);
          post({ id, ok: true, result }, transfer);
        },
        (err: unknown) => post(failureReply(id, err), []),
      );
    } else {
      void answerDecodeRequest(msg).then(({ reply, transfer }) => post(reply, transfer));
    }
  };
}

/** Decodes one row group's request and returns the reply with the buffers to transfer back. */
export async function answerDecodeRequest(msg: DecodeRequest): Promise<{ reply: DecodeReply; transfer: ArrayBuffer[] }> {
  try {
    const result = await decodeRowGroup(msg.task);
    return { reply: { id: msg.id, ok: true, result }, transfer: prepareTransfer(result) };
  } catch (err) {
    return { reply: failureReply(msg.id, err), transfer: [] };
  }
}
