// The runs `npm run bench` makes: which case, on which data, with which overrides, how often.
import type { CaseName, CaseParams } from './measure.js';

/** Which dataset a job reads: the main one, or the small/large store of the RSS comparison. */
export type DataKey = 'main' | 'rssSmall' | 'rssLarge';

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

/**
 * Every job, in table order. `workers` is --workers (DuckDB threads, decode-only workers); `sdkWorkers` is
 * --sdk-workers (undefined: the SDK's default, `sdkDefault` workers on this machine).
 */
export function allJobs(workers: number, sdkWorkers: number | undefined, sdkDefault: number): Job[] {
  const sdk = sdkWorkers === undefined ? `${sdkDefault} decode worker(s), the SDK's default` : `${sdkWorkers} decode worker(s)`;
  return [
    { id: 'sdk', case: 'sdk', label: `1. this SDK: makeTfDataset(store), open included, ${sdk}`, data: 'main' },
    { id: 'duckdb', case: 'duckdb', label: `2. DuckDB read_parquet → typed columns (${workers} threads) + best hand assembly`, data: 'main' },
    { id: 'duckdb-sdk', case: 'duckdb-sdk', label: `3. DuckDB read_parquet → typed columns → SDK windowing (columnsSource)`, data: 'main' },
    { id: 'csv-parsed', case: 'csv-parsed', label: '4. CSV parsed by uDSV → typed columns + best hand assembly', data: 'main' },
    { id: 'csv', case: 'csv', label: 'idiom: tf.data.csv + ring buffer, 1 tensor/window, .batch()', data: 'main' },
    { id: 'generator', case: 'generator', label: 'idiom: columns in memory, 1 tf.tensor2d/window, generator().batch()', data: 'main' },
    { id: 'decode', case: 'decode', label: `limit: decode only (loader → typed columns), ${workers} worker(s)`, data: 'main' },
    { id: 'memcpy', case: 'memcpy', label: 'limit: memcpy of the window bytes', data: 'main' },
    { id: 'assembly', case: 'assembly', label: 'SDK windowing over in-memory columns (no decode)', data: 'main' },
    { id: 'sdk-w2', case: 'sdk', label: 'this SDK, 2 decode workers', data: 'main', override: { sdkWorkers: 2 } },
    { id: 'decode-w1', case: 'decode', label: 'decode only, 1 worker', data: 'main', override: { workers: 1 } },
    { id: 'sdk-rss-small', case: 'sdk', label: 'this SDK on the small RSS store', data: 'rssSmall' },
    { id: 'sdk-rss-large', case: 'sdk', label: 'this SDK on the large RSS store', data: 'rssLarge' },
    { id: 'fit', case: 'fit', label: 'LSTM(32)→Dense(1) fitDataset(store), wasm', data: 'main', repeats: 1 },
    { id: 'materialize', case: 'materialize', label: 'importCsv: CSV → store (validated)', data: 'main' },
    { id: 'duckdb-copy', case: 'duckdb-copy', label: "DuckDB COPY read_csv → 'x.parquet'", data: 'main' },
    { id: 'idle', case: 'idle', label: 'reference: tfjs + backend loaded, nothing else (the RSS floor)', data: 'main' },
    { id: 'sdk-w0', case: 'sdk', label: 'this SDK, decoding on the calling thread', data: 'main', override: { sdkWorkers: 0 }, optional: true },
    { id: 'decode-w0', case: 'decode', label: 'decode only, on the calling thread', data: 'main', override: { workers: 0 }, optional: true },
  ];
}
