import { existsSync } from 'node:fs';
import type { PriceRow } from '../ingest/price-row.js';
import type { RowSink } from '../ingest/row-sink.js';
import { BitcoinSchema } from '../schema/bitcoin.js';
import { materializeDataset } from './materialize.js';
import { openStore } from './open-store.js';
import { localStorePath } from './store-layout.js';


/**
 * A `RowSink` for ingestion that appends to a BitcoinSchema store: each `append` is one atomic commit, and
 * `lastTimestamp` (from row-group statistics, no data read) lets a backfill resume where it stopped.
 */
export async function storeRowSink(storeUrl: string, options: { rowGroupSize?: number } = {}): Promise<RowSink> {
  const dir = localStorePath(storeUrl, 'storeRowSink');
  return {
    async lastTimestamp(): Promise<number | null> {
      if (!existsSync(dir)) return null;
      const store = await openStore(dir).catch(() => null);
      if (!store) return null;
      let last: number | null = null;
      for (const rg of store.rowGroups) {
        const max = rg.columns.timestamp?.max;
        if (typeof max === 'number' && (last === null || max > last)) last = max;
      }
      return last;
    },
    async append(rows: PriceRow[]): Promise<void> {
      if (rows.length === 0) return;
      await materializeDataset(dir, BitcoinSchema, rows as unknown as Record<string, unknown>[], { mode: 'append', rowGroupSize: options.rowGroupSize ?? 65_536 });
    },
  };
}
