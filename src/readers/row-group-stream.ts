import type { Column, ColumnBatch } from '../schema/columns.js';
import type { StoreRowGroup } from '../store/open-store.js';
import { type FilterPredicate, matchingRows, takeRows } from './row-filter.js';
import type { RowGroupLoader } from './row-group-loader.js';

/**
 * Row groups decoded in the order `rowGroups` gives them, with at most `prefetch` being fetched or decoded
 * at once: results come out in order even when decoded out of order, and nothing new starts until the
 * consumer pulls. Each comes with its rows that pass `filters` (possibly none), in `columns` only.
 */
export async function* rowGroupStream(
  loader: RowGroupLoader,
  rowGroups: Iterator<StoreRowGroup>,
  prefetch: number,
  filters: readonly FilterPredicate[],
  columns: readonly string[],
): AsyncGenerator<{ rowGroup: StoreRowGroup; batch: ColumnBatch }> {
  const inFlight: { rowGroup: StoreRowGroup; batch: Promise<ColumnBatch> }[] = [];
  const fill = () => {
    while (inFlight.length < prefetch) {
      const next = rowGroups.next();
      if (next.done) break;
      const batch = loader.load(next.value);
      batch.catch(() => {}); // observed when its turn comes; this only stops an unhandled-rejection crash meanwhile
      inFlight.push({ rowGroup: next.value, batch });
    }
  };
  fill();
  while (inFlight.length > 0) {
    const { rowGroup, batch } = inFlight.shift()!;
    const b = await batch;
    fill();
    const idx = matchingRows(b, filters);
    const out: Record<string, Column> = {};
    for (const n of columns) out[n] = idx ? takeRows(b.columns[n]!, idx) : b.columns[n]!;
    yield { rowGroup, batch: { numRows: idx ? idx.length : b.numRows, columns: out } };
  }
}
