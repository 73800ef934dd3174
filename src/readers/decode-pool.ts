import type { Column } from '../schema/columns.js';
import type { ColumnRead } from './column-cursor-host.js';
import type { DecodedRowGroup, DecodeTask } from './decode-row-group.js';

/**
 * Decode threads that take row-group tasks (their bytes transferred, not copied) and hand back columns.
 * `ThreadDecodePool` implements it over `worker_threads` (Node) or Web Workers (browsers); a task whose worker dies fails with a
 * `ParquetReadError`, never the process.
 */
export interface DecodePool {
  /** Starts every thread now, so they load their code while the first row group's bytes are read. */
  start(): void;
  /** Decodes `task` on a thread; its buffers are transferred (unusable by the caller afterwards). */
  run(task: DecodeTask): Promise<DecodedRowGroup>;
  /** Reads a slice of a column chunk by the cursor of `read.key`, on the thread that holds it. */
  readColumn(read: ColumnRead): Promise<Column>;
  /**
   * Hands column buffers the caller is done with to a decode thread, for its next outputs (transferred: the
   * caller's views of them are detached); without a thread ready, to this thread's spares.
   */
  recycle(buffers: ArrayBuffer[]): void;
  /** Frees the cursors of `keys` (row groups the reader left). */
  dropColumns(keys: readonly string[]): void;
  /** Threads alive right now (0 after `close`). */
  readonly liveWorkers: number;
  /** Stops every thread; pending tasks fail. */
  close(): Promise<void>;
}
