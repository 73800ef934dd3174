import { existsSync } from 'node:fs';
import { materializeDataset } from '../materialize/materialize.js';
import { localStorePath } from '../materialize/store-layout.js';
import type { Unischema } from '../schema/unischema.js';
import { localLocation } from '../platform.js';
import { readStore } from '../store/open-store.js';
import type { PriceRow } from './price-row.js';
import type { RowSink } from './row-sink.js';

/**
 * A `RowSink` for ingestion that appends to a store of `schema` (whose fields name the `PriceRow` fields, as
 * the application's `BitcoinSchema` does): each `append` is one atomic commit, and `lastTimestamp` (from
 * row-group statistics, no data read) lets a backfill resume where it stopped.
 *
 * @example
 * const sink = await storeRowSink('./btc-store', BitcoinSchema);
 * await backfill({ client, from, to, sink });
 */
export async function storeRowSink(storeUrl: string, schema: Unischema, options: { rowGroupSize?: number } = {}): Promise<RowSink> {
  const dir = localStorePath(storeUrl, 'storeRowSink');
  return {
    async lastTimestamp(): Promise<number | null> {
      if (!existsSync(dir)) return null;
      // An empty folder is an empty store; anything unreadable is an error, never "start from scratch".
      const store = await readStore(await localLocation(dir), 'storeRowSink', { allowEmpty: true });
      let last: number | null = null;
      for (const rg of store.rowGroups) {
        const max = rg.stats.timestamp?.max;
        if (typeof max === 'number' && (last === null || max > last)) last = max;
      }
      return last;
    },
    async append(rows: PriceRow[]): Promise<void> {
      if (rows.length === 0) return;
      await materializeDataset(dir, schema, rows as unknown as Record<string, unknown>[], { mode: 'append', rowGroupSize: options.rowGroupSize ?? 65_536 });
    },
  };
}
