import type { ColumnBatch } from '../schema/columns.js';
import { type FilterPredicate } from '../readers/row-filter.js';
import { rowGroupStream } from '../readers/row-group-stream.js';
import { type ReaderStats, RowGroupLoader } from '../readers/row-group-loader.js';
import { unitsOf } from '../readers/read-unit.js';
import { threadsFor } from '../readers/read-options.js';
import { type Store, type StoreRowGroup, storeInternals } from '../store/open-store.js';
import type { SeriesKeys } from './series-keys.js';
import { keyOf } from './series-keys.js';

/** How a follow reads each commit: the read options that apply (filters, threads, the bound on batches). */
export interface FollowReadOptions {
  filters: readonly FilterPredicate[];
  workers?: number;
  prefetch?: number;
  maxBatchBytes: number;
  verifyChecksums?: boolean;
}

/**
 * The rows of each commit of a growing store that a follow has not taken yet, in store order. Part files are
 * written once and never change, so a file read before is not read again; of a file not read before (an
 * append, or a compaction's rewrite of rows read before), a row group whose statistics say it holds one
 * series, all of it at or before that series' newest row taken, is not read either. What is read may still
 * hold rows taken before (a compaction mixes them with new ones): `FollowWindows` passes over those.
 */
export class StoreFollowReader {
  readonly #columns: string[];
  readonly #o: FollowReadOptions;
  readonly #seriesColumns: readonly string[];
  readonly #timestampColumn: string;
  /** Files whose every row group this reader has read (or found to hold nothing new). */
  readonly #read = new Set<string>();
  readonly stats: ReaderStats = { rowGroupsRead: 0, rowGroupsPruned: 0, rowsDecoded: 0, bytesRead: 0 };

  constructor(columns: readonly string[], seriesColumns: readonly string[], timestampColumn: string, options: FollowReadOptions) {
    this.#columns = [...new Set(columns)];
    this.#seriesColumns = seriesColumns;
    this.#timestampColumn = timestampColumn;
    this.#o = options;
  }

  /** Row groups of `store` that may hold rows newer than the follow has taken (`lastTimestamp` per series key). */
  #newRowGroups(store: Store, keys: SeriesKeys | null, lastTimestamp: (series: number) => number): StoreRowGroup[] {
    const out: StoreRowGroup[] = [];
    for (const rg of store.rowGroups) {
      if (this.#read.has(rg.file)) continue;
      const ts = rg.stats[this.#timestampColumn]?.max;
      if (typeof ts === 'number') {
        let series = keys ? null : 0;
        if (keys) {
          const ids = this.#seriesColumns.map((c) => {
            const s = rg.stats[c];
            return s && s.min !== null && s.min !== undefined && s.min === s.max && s.nullCount === 0 ? s.min : undefined;
          });
          if (ids.every((v) => v !== undefined)) {
            const k = keys.lookup(keyOf(ids as (string | number)[]));
            series = k >= 0 ? k : null;
          }
        }
        if (series !== null && ts <= lastTimestamp(series)) {
          this.stats.rowGroupsPruned++;
          continue;
        }
      }
      out.push(rg);
    }
    return out;
  }

  /**
   * The rows of `store` that may be new, batch after batch in store order (row groups, or slices of large
   * ones); the files they came from count as read once the last batch was taken.
   */
  async *newRows(store: Store, keys: SeriesKeys | null, lastTimestamp: (series: number) => number): AsyncGenerator<ColumnBatch> {
    const rowGroups = this.#newRowGroups(store, keys, lastTimestamp);
    const files = new Set(store.files.map((f) => f.path));
    if (rowGroups.length > 0) {
      const units = unitsOf(rowGroups, this.#o.maxBatchBytes);
      const rows = units.reduce((s, u) => s + u.numRows, 0);
      const { workers, prefetch } = threadsFor(this.#o, rows);
      const loader = new RowGroupLoader(store, this.#columns, workers, this.stats, { verifyChecksums: this.#o.verifyChecksums, maxBatchBytes: this.#o.maxBatchBytes });
      try {
        for await (const { batch } of rowGroupStream(loader, units[Symbol.iterator](), { prefetch, readAheadBytes: storeInternals(store).readAheadBytes }, this.#o.filters, this.#columns)) {
          if (batch.numRows > 0) yield batch;
        }
      } finally {
        await loader.close();
      }
    }
    // Files gone from the store (compacted away) are forgotten: the set stays as large as the store.
    for (const f of [...this.#read]) if (!files.has(f)) this.#read.delete(f);
    for (const f of files) this.#read.add(f);
  }
}
