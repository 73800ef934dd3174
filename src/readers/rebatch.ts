import type { Column, ColumnBatch } from '../schema/columns.js';
import { concat } from './column-convert.js';

function slice(c: Column, start: number, end: number): Column {
  return ArrayBuffer.isView(c) ? ((c as unknown as { subarray(s: number, e: number): Column }).subarray(start, end)) : ((c as unknown[]).slice(start, end) as Column);
}

/**
 * Re-cuts a stream of batches into batches of exactly `batchSize` rows (Petastorm #359); the last one may
 * be shorter. A batch that lies inside one input batch is a zero-copy view of it.
 *
 * @example
 * const r = new Rebatcher(64); r.push(batch); for (let b; (b = r.take()); ) use(b); const rest = r.flush();
 */
export class Rebatcher {
  readonly batchSize: number;
  #queue: ColumnBatch[] = [];
  #offset = 0;
  #buffered = 0;

  constructor(batchSize: number) {
    this.batchSize = batchSize;
  }

  push(batch: ColumnBatch): void {
    if (batch.numRows === 0) return;
    this.#queue.push(batch);
    this.#buffered += batch.numRows;
  }

  /** The next full batch, or null when fewer than `batchSize` rows are buffered. */
  take(): ColumnBatch | null {
    return this.#buffered >= this.batchSize ? this.#cut(this.batchSize) : null;
  }

  /** Whatever is left (fewer than `batchSize` rows), or null. */
  flush(): ColumnBatch | null {
    return this.#buffered > 0 ? this.#cut(this.#buffered) : null;
  }

  #cut(n: number): ColumnBatch {
    const pieces: { batch: ColumnBatch; start: number; end: number }[] = [];
    let need = n;
    while (need > 0) {
      const b = this.#queue[0]!;
      const take = Math.min(need, b.numRows - this.#offset);
      pieces.push({ batch: b, start: this.#offset, end: this.#offset + take });
      this.#offset += take;
      need -= take;
      if (this.#offset === b.numRows) {
        this.#queue.shift();
        this.#offset = 0;
      }
    }
    this.#buffered -= n;
    const columns: Record<string, Column> = {};
    for (const name of Object.keys(pieces[0]!.batch.columns)) {
      const parts = pieces.map((p) => slice(p.batch.columns[name]!, p.start, p.end));
      columns[name] = parts.length === 1 ? parts[0]! : (concat(parts, n) as Column);
    }
    return { numRows: n, columns };
  }
}
