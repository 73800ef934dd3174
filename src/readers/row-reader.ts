import type { ColumnBatch } from '../schema/columns.js';
import type { Store } from '../store/open-store.js';
import type { StoreField } from '../store/store-field.js';
import type { StoreRef } from '../store/store-location.js';
import { type BatchReader, openBatchReader } from './batch-reader.js';
import type { ReaderOptions } from './read-options.js';

/** One decoded row: field name → value (number, bigint, string, boolean, `{ shape, data }` tensor, or null). */
export type DecodedRow = Record<string, unknown>;

/** A reader of single rows (Petastorm's `make_reader`): tensor fields decoded by their codec. */
export interface RowReader extends AsyncIterable<DecodedRow> {
  /** The batch reader underneath (fields, stats, seed). */
  readonly batches: BatchReader;
  close(): Promise<void>;
}

function* rowsOf(batch: ColumnBatch, fields: readonly StoreField[]): Generator<DecodedRow> {
  const cols = fields.map((f) => batch.columns[f.name] as ArrayLike<unknown>);
  for (let i = 0; i < batch.numRows; i++) {
    const row: DecodedRow = {};
    for (let c = 0; c < fields.length; c++) {
      const v = cols[c]![i];
      // NaN stands for null only in nullable columns; a non-nullable float column may hold a real NaN.
      row[fields[c]!.name] = v === undefined || (fields[c]!.nullable && typeof v === 'number' && Number.isNaN(v)) ? null : v;
    }
    yield row;
  }
}

/**
 * Opens a store and reads it row by row, with the same options as `makeBatchReader` (a `batchSize` only
 * changes how rows are grouped internally). NaN in a nullable float or timestamp column reads as null.
 *
 * @example
 * const reader = await makeReader('./petastorm-store', { columns: ['id', 'matrix'] });
 * for await (const row of reader) console.log(row.id, (row.matrix as { shape: number[] }).shape);
 */
export async function makeReader(store: StoreRef | Store, options: ReaderOptions = {}): Promise<RowReader> {
  const batches = await openBatchReader('makeReader', store, options);
  return {
    batches,
    async *[Symbol.asyncIterator]() {
      for await (const b of batches) yield* rowsOf(b, batches.fields);
    },
    close: () => batches.close(),
  };
}
