import type { PriceRow } from './price-row.js';

/**
 * Where ingested rows go. Rows arrive in strictly increasing timestamp order, each batch after
 * `lastTimestamp()`; `append` returns only once the rows are durable (a crash afterwards must not lose them),
 * which is what makes backfill and the collector resumable.
 *
 * @example
 * const sink: RowSink = await CsvRowSink.open('btc.csv');
 * await sink.append([row]);
 * await sink.close?.();
 */
export interface RowSink {
  /** Timestamp (epoch ms) of the newest stored row, or null when the sink is empty. */
  lastTimestamp(): Promise<number | null>;
  append(rows: PriceRow[]): Promise<void>;
  close?(): Promise<void>;
}
