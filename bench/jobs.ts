// The runs `npm run bench` makes: which case, on which data, with which overrides, how often.
import type { CaseName, CaseParams } from './measure.js';

/**
 * Which dataset a job reads: the main one, the small/large store of the RSS comparison, or a store of many
 * series (`series:<layout>:<series count>`, --series-rows rows in all).
 */
export type DataKey = 'main' | 'rssSmall' | 'rssLarge' | `series:${'sorted' | 'interleaved'}:${number}`;

export interface Job {
  /** Key in the table and the JSON; `--cases` selects by it. */
  id: string;
  case: CaseName;
  label: string;
  data: DataKey;
  override?: Partial<CaseParams>;
  /** Runs of a heavy job (default: --repeats). */
  repeats?: number;
  /** Runs only when named in --cases. */
  optional?: boolean;
}

/** Every job, in table order; `workers` is the --workers value (the scaling jobs use 1); `series` the series counts. */
export function allJobs(workers: number, series: { count: number; rss: number[] } = { count: 100, rss: [10, 1000] }): Job[] {
  const S = series.count;
  const bySeries = { seriesColumns: ['sid'] };
  return [
    { id: 'sdk', case: 'sdk', label: `1. this SDK: makeTfDataset(store), ${workers} decode worker(s)`, data: 'main' },
    { id: 'csv', case: 'csv', label: '2. tf.data.csv + ring-buffer generator, 1 tensor/window, .batch()', data: 'main' },
    { id: 'generator', case: 'generator', label: '3. columns in memory, 1 tf.tensor2d/window, generator().batch()', data: 'main' },
    { id: 'duckdb', case: 'duckdb', label: `4. DuckDB read_parquet → columns (${workers} threads) + JS windows`, data: 'main' },
    { id: 'decode', case: 'decode', label: `5a. limit: decode only (loader → columns), ${workers} worker(s)`, data: 'main' },
    { id: 'memcpy', case: 'memcpy', label: '5b. limit: memcpy of the window bytes', data: 'main' },
    { id: 'assembly', case: 'assembly', label: 'SDK windowing over in-memory columns (no decode)', data: 'main' },
    { id: 'sdk-w1', case: 'sdk', label: 'this SDK, 1 decode worker', data: 'main', override: { workers: 1 } },
    { id: 'decode-w1', case: 'decode', label: 'decode only, 1 worker', data: 'main', override: { workers: 1 } },
    { id: 'sdk-rss-small', case: 'sdk', label: 'this SDK on the small RSS store', data: 'rssSmall', repeats: 1 },
    { id: 'sdk-rss-large', case: 'sdk', label: 'this SDK on the large RSS store', data: 'rssLarge', repeats: 1 },
    { id: 'fit', case: 'fit', label: 'LSTM(32)→Dense(1) fitDataset(store), wasm', data: 'main', repeats: 1 },
    { id: 'materialize', case: 'materialize', label: 'importCsv: CSV → store (validated)', data: 'main' },
    { id: 'duckdb-copy', case: 'duckdb-copy', label: "DuckDB COPY read_csv → 'x.parquet'", data: 'main' },
    { id: 'idle', case: 'idle', label: 'reference: tfjs + backend loaded, nothing else', data: 'main', repeats: 1 },
    { id: 'series-one', case: 'sdk', label: `the ${S}-series store (sorted) read as ONE series (no seriesColumns)`, data: `series:sorted:${S}` },
    { id: 'series-sorted', case: 'sdk', label: `${S} series, sorted by series then time, seriesColumns`, data: `series:sorted:${S}`, override: bySeries },
    { id: 'series-interleaved', case: 'sdk', label: `${S} series, interleaved in time, seriesColumns`, data: `series:interleaved:${S}`, override: bySeries },
    ...series.rss.map((n): Job => ({ id: `series-rss-${n}`, case: 'sdk', label: `${n} series, interleaved, seriesColumns (RSS)`, data: `series:interleaved:${n}`, override: bySeries, repeats: 1 })),
    { id: 'sdk-w0', case: 'sdk', label: 'this SDK, decoding on the calling thread', data: 'main', override: { workers: 0 }, optional: true },
    { id: 'decode-w0', case: 'decode', label: 'decode only, on the calling thread', data: 'main', override: { workers: 0 }, optional: true },
  ];
}
