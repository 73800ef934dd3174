import { existsSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { materializeDataset } from '../materialize/materialize.js';
import { writeTargetFor, type WriteIoOptions } from '../materialize/write-target-for.js';
import type { Unischema } from '../schema/unischema.js';
import { makeBatchReader } from '../readers/batch-reader.js';
import { readStore, type StoreRowGroup } from '../store/open-store.js';
import type { PriceRow } from './price-row.js';
import type { RowSink } from './row-sink.js';

/** Options of `storeRowSink`. */
export interface StoreRowSinkOptions {
  /** Rows per row group of each commit. Default 65,536. */
  rowGroupSize?: number;
  /**
   * The series these rows belong to, as values of the schema's series columns (`{ coin: 'bitcoin', vs: 'usd' }`):
   * written into every row, and `lastTimestamp` is this series' newest row, so several series share one store
   * and each resumes on its own. Default: none (the store holds one series).
   */
  series?: Record<string, string | number>;
  /** The schema field that receives `PriceRow.price_usd` (the price in the requested currency). Default 'price_usd'. */
  priceColumn?: string;
  /** An `s3://` store: how to reach it (`s3`, `retry`, `fetch`, `fetchTimeoutMs`; see the read options). */
  io?: WriteIoOptions;
}

/** Whether a row group's statistics say every row is of `series`, none is, or it cannot tell. */
function seriesIn(rg: StoreRowGroup, series: Record<string, string | number>): 'all' | 'none' | 'some' {
  let all = true;
  for (const [column, value] of Object.entries(series)) {
    const s = rg.stats[column];
    if (!s || s.min === null || s.max === null || s.min === undefined || s.max === undefined) return 'some';
    if (value < (s.min as typeof value) || value > (s.max as typeof value)) return 'none';
    if (s.min !== value || s.max !== value || (s.nullCount ?? 1) !== 0) all = false;
  }
  return all ? 'all' : 'some';
}

/**
 * A `RowSink` for ingestion that appends to a store of `schema`: each `append` is one atomic commit, and
 * `lastTimestamp` lets a backfill resume where it stopped. With `series`, several series share the store:
 * each row carries the series' ids and `lastTimestamp` is that series' newest row (from row-group statistics
 * where a row group holds one series, else by reading its series and time columns).
 *
 * @example
 * const sink = await storeRowSink('./btc-store', BitcoinSchema);
 * await backfill({ client, from, to, sink });
 * const eth = await storeRowSink('./market', MarketSchema, { series: { coin: 'ethereum', vs: 'eur' }, priceColumn: 'price' });
 */
export async function storeRowSink(storeUrl: string, schema: Unischema, options: StoreRowSinkOptions = {}): Promise<RowSink> {
  const fn = 'storeRowSink';
  const target = await writeTargetFor(storeUrl, fn, options.io);
  const local = !/^s3:\/\//i.test(storeUrl);
  const series = options.series ?? {};
  const priceColumn = options.priceColumn ?? 'price_usd';
  for (const name of [...Object.keys(series), priceColumn, 'timestamp']) {
    if (!schema.has(name)) throw new ConfigError(`${fn}: ${schema.name} has no field "${name}"; its fields: ${schema.fieldNames.join(', ')}`);
  }
  const seriesColumns = Object.keys(series);
  return {
    async lastTimestamp(): Promise<number | null> {
      if (local && !existsSync(target.url)) return null;
      // An empty folder (or bucket prefix) is an empty store; anything unreadable is an error, never "start from scratch".
      const store = await readStore(await target.location(), fn, { allowEmpty: true });
      let last: number | null = null;
      let mixed = false;
      for (const rg of store.rowGroups) {
        const has = seriesColumns.length ? seriesIn(rg, series) : 'all';
        if (has === 'some') mixed = true;
        if (has !== 'all') continue;
        const max = rg.stats.timestamp?.max;
        if (typeof max === 'number' && (last === null || max > last)) last = max;
      }
      if (!mixed) return last;
      // Row groups holding this series among others: read their newer rows of it.
      const filters: [string, '=' | '>', string | number][] = Object.entries(series).map(([c, v]) => [c, '=', v]);
      if (last !== null) filters.push(['timestamp', '>', last]);
      for await (const batch of await makeBatchReader(store, { columns: ['timestamp'], filters, workers: 0 })) {
        const ts = batch.columns.timestamp as ArrayLike<number>;
        for (let i = 0; i < batch.numRows; i++) if (last === null || ts[i]! > last) last = ts[i]!;
      }
      return last;
    },
    async append(rows: PriceRow[]): Promise<void> {
      if (rows.length === 0) return;
      const records = rows.map((r) => {
        const { price_usd, ...rest } = r;
        return { ...series, ...rest, [priceColumn]: price_usd };
      });
      await materializeDataset(storeUrl, schema, records, { mode: 'append', rowGroupSize: options.rowGroupSize ?? 65_536, ...options.io });
    },
  };
}
