// The runs `npm run bench` makes: which case, on which data, with which overrides, how often.
import type { CaseName, CaseParams } from './measure.js';

/**
 * Which dataset a job reads: the main one, the small/large store of the RSS comparison, or a store of many
 * series (`series:<layout>:<series count>`, --series-rows rows in all).
 */
export type DataKey = 'main' | 'rssSmall' | 'rssLarge' | 'remote' | 'bigOne' | 'bigMany' | 'zeros' | `series:${'sorted' | 'interleaved'}:${number}`;

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
  /** Reads the store over HTTP (the bench serves it with `serveStore` in a process of its own). */
  http?: boolean;
}

/** The remote cases' store and servers: --remote-rows rows in row groups of 16,384, served plain and --latency ms late. */
export interface RemoteSetup {
  latencyMs: number;
  rows: number;
}

/**
 * Every job, in table order. `workers` is --workers (DuckDB threads, decode-only workers); `sdkWorkers` is
 * --sdk-workers (undefined: the SDK's default, `sdkDefault` workers on this machine); `series` the series
 * counts of the many-series cases.
 */
export function allJobs(
  workers: number,
  sdkWorkers: number | undefined,
  sdkDefault: number,
  series: { count: number; rss: number[] } = { count: 100, rss: [10, 1000] },
  remote: RemoteSetup = { latencyMs: 40, rows: 1_000_000 },
): Job[] {
  const sdk = sdkWorkers === undefined ? `${sdkDefault} decode worker(s), the SDK's default` : `${sdkWorkers} decode worker(s)`;
  const S = series.count;
  const bySeries = { seriesColumns: ['sid'] };
  return [
    { id: 'sdk', case: 'sdk', label: `1. this SDK: makeTfDataset(store), open included, ${sdk}`, data: 'main' },
    { id: 'duckdb', case: 'duckdb', label: `2. DuckDB read_parquet → typed columns (${workers} threads) + best hand assembly`, data: 'main' },
    { id: 'duckdb-sdk', case: 'duckdb-sdk', label: `3. DuckDB read_parquet → typed columns → SDK windowing (columnsSource)`, data: 'main' },
    { id: 'csv-parsed', case: 'csv-parsed', label: '4. CSV parsed by uDSV → typed columns + best hand assembly', data: 'main' },
    { id: 'csv', case: 'csv', label: 'idiom: tf.data.csv + ring buffer, 1 tensor/window, .batch()', data: 'main' },
    { id: 'generator', case: 'generator', label: 'idiom: columns in memory, 1 tf.tensor2d/window, generator().batch()', data: 'main' },
    { id: 'decode', case: 'decode', label: `limit: decode only (loader → typed columns), ${workers} worker(s)`, data: 'main' },
    { id: 'memcpy', case: 'memcpy', label: 'limit: memcpy of the window bytes', data: 'main' },
    { id: 'memcpy-tensors', case: 'memcpy', label: 'floor: the same memcpy + making and disposing each batch\'s xs and ys tensors', data: 'main', override: { memcpyTensors: true } },
    { id: 'assembly', case: 'assembly', label: 'SDK windowing over in-memory columns (no decode)', data: 'main' },
    { id: 'sdk-foreach', case: 'sdk', label: 'case 1 consumed by dataset.forEachAsync', data: 'main', override: { consume: 'forEachAsync' } },
    { id: 'sdk-part-hold', case: 'sdk', label: "case 1 on the first 5 % of the rows (split: { train: 0.05 }), next() keeping every batch to the epoch's end", data: 'main', override: { consume: 'next-hold', trainFraction: 0.05 } },
    { id: 'sdk-part-toarray', case: 'sdk', label: 'the same 5 % consumed by dataset.toArray()', data: 'main', override: { consume: 'toArray', trainFraction: 0.05 } },
    { id: 'sdk-w0', case: 'sdk', label: 'this SDK, decoding on the calling thread', data: 'main', override: { sdkWorkers: 0 } },
    { id: 'sdk-w2', case: 'sdk', label: 'this SDK, 2 decode workers', data: 'main', override: { sdkWorkers: 2 } },
    { id: 'decode-w1', case: 'decode', label: 'decode only, 1 worker', data: 'main', override: { workers: 1 } },
    { id: 'sdk-rss-small', case: 'sdk', label: 'this SDK on the small RSS store', data: 'rssSmall' },
    { id: 'sdk-rss-large', case: 'sdk', label: 'this SDK on the large RSS store', data: 'rssLarge' },
    { id: 'sdk-http', case: 'sdk', label: `this SDK in Node, the store over HTTP (serveStore, 127.0.0.1), ${sdk}`, data: 'main', http: true },
    { id: 'remote', case: 'remote', label: `this SDK over HTTP: ${remote.rows.toLocaleString('en-US')} rows in row groups of 16,384, one epoch, open included`, data: 'remote', http: true, override: { server: 'remote' } },
    { id: 'remote-latency', case: 'remote', label: `the same, every answer ${remote.latencyMs} ms late (an object store's first-byte latency)`, data: 'remote', http: true, override: { server: 'remote-latency' } },
    { id: 'remote-cache', case: 'remote', label: `the same ${remote.latencyMs} ms server, 3 epochs with cache: { bytes: 256 MiB } (epoch 1's time)`, data: 'remote', http: true, repeats: 1, override: { server: 'remote-latency', epochs: 3, cacheBytes: 256 * 2 ** 20 } },
    { id: 'big-sdk', case: 'big-row-group', label: 'this SDK: columns a, b of one 20M-row row group (DuckDB, zstd), batches of 65,536', data: 'bigOne', override: { bigMode: 'sdk-read' } },
    { id: 'big-duckdb', case: 'big-row-group', label: `DuckDB (${workers} threads): the same columns of the same file, streamed`, data: 'bigOne', override: { bigMode: 'duckdb-read' } },
    { id: 'big-windows', case: 'big-row-group', label: `this SDK: windows of a, b over the one 20M-row row group, ${sdk}`, data: 'bigOne', override: { bigMode: 'windows' } },
    { id: 'many-windows', case: 'big-row-group', label: 'the same windows over the same rows in row groups of 65,536', data: 'bigMany', override: { bigMode: 'windows' } },
    { id: 'zeros-sdk', case: 'big-row-group', label: 'this SDK: the first million rows of 300M int32 zeros (pyarrow, dictionary, zstd)', data: 'zeros', override: { bigMode: 'zeros-sdk' } },
    { id: 'zeros-duckdb', case: 'big-row-group', label: 'DuckDB: the first million rows of the same file', data: 'zeros', override: { bigMode: 'zeros-duckdb' } },
    { id: 'browser', case: 'browser', label: "this SDK's browser build in headless Chromium (wasm, Web Workers), the same HTTP store", data: 'main', http: true },
    { id: 'fit', case: 'fit', label: `LSTM(32)→Dense(1) fitDataset(store), wasm, ${sdk}`, data: 'main' },
    { id: 'fit-workers', case: 'fit', label: 'one LSTM trained in turns from the default, 0 and 2 decode workers (5 rounds, order rotated)', data: 'main', repeats: 1, override: { fitWorkers: true } },
    { id: 'materialize', case: 'materialize', label: 'importCsv: CSV → store (validated)', data: 'main' },
    { id: 'duckdb-copy', case: 'duckdb-copy', label: "DuckDB COPY read_csv → 'x.parquet'", data: 'main' },
    { id: 'idle', case: 'idle', label: 'reference: tfjs + backend loaded, nothing else (the RSS floor)', data: 'main' },
    { id: 'series-one', case: 'sdk', label: `the ${S}-series store (sorted) read as ONE series (no seriesColumns)`, data: `series:sorted:${S}` },
    { id: 'series-sorted', case: 'sdk', label: `${S} series, sorted by series then time, seriesColumns`, data: `series:sorted:${S}`, override: bySeries },
    { id: 'series-interleaved', case: 'sdk', label: `${S} series, interleaved in time, seriesColumns`, data: `series:interleaved:${S}`, override: bySeries },
    ...series.rss.map((n): Job => ({ id: `series-rss-${n}`, case: 'sdk', label: `${n} series, interleaved, seriesColumns (RSS)`, data: `series:interleaved:${n}`, override: bySeries, repeats: 1 })),

    { id: 'decode-w0', case: 'decode', label: 'decode only, on the calling thread', data: 'main', override: { workers: 0 }, optional: true },
  ];
}
