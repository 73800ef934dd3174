/**
 * tfjs-parquet-loader: a schema-enforced Parquet store for time series, streamed into TensorFlow.js.
 *
 * The main entry is the general SDK, in data-flow order: schema → materialize → store → readers → windowing
 * → the TensorFlow.js adapter. In Node it is everything in src/portable.ts (what runs on every platform, and
 * the whole of the browser build) plus what needs local files, below. The CoinGecko ingest is
 * `tfjs-parquet-loader/ingest`; the forecasting application (analytics, forecasts, charts) is
 * `tfjs-parquet-loader/forecasting`.
 */

export * from './portable.js';

// Materialize: writing stores to local folders
export { materializeDataset } from './materialize/materialize.js';
export type { MaterializeOptions, MaterializeResult } from './materialize/materialize.js';
export type { Row, RowsInput, ColumnChunk } from './materialize/row-input.js';
export { importCsv } from './materialize/csv-import.js';
export type { ImportCsvOptions, ImportCsvResult, SkippedLine } from './materialize/csv-import.js';
export type { CsvHeaderLayout } from './materialize/csv-layout.js';
export { writeSummaryFiles } from './materialize/summary-files.js';
export type { SummaryFilesResult } from './materialize/summary-files.js';
export { compactStore } from './materialize/compact.js';
export type { CompactOptions, CompactResult, StoreLayoutFigures } from './materialize/compact.js';

// Local files
export { fileSource } from './node/file-source.js';
export { localLocation } from './node/local-location.js';

// Serving a store over HTTP (Range, CORS), for browser pages and remote readers
export { serveStore, storeRequestHandler } from './node/store-server.js';
export type { StoreServerOptions, ServeStoreOptions, StoreServer, StoreServerLogEntry } from './node/store-server.js';
