/**
 * tfjs-parquet-loader: a schema-enforced Parquet store for time series, streamed into TensorFlow.js.
 *
 * The main entry is the general SDK, in data-flow order: schema → materialize → store → readers → windowing
 * → the TensorFlow.js adapter. The CoinGecko ingest is `tfjs-parquet-loader/ingest`; the forecasting
 * application (analytics, forecasts, charts) is `tfjs-parquet-loader/forecasting`.
 */

// Errors
export { TfplError, ConfigError, SchemaError, StoreError, CsvError, isTfplError } from './errors.js';
export type { SchemaErrorLocation } from './errors.js';
export { ParquetReadError } from './store/parquet-read-error.js';
export { parseOptions } from './options.js';

// Schema
export { defineSchema, Unischema, schemaDifferences, SCHEMA_METADATA_KEY } from './schema/unischema.js';
export type { FieldSpec, UnischemaField, UnischemaJson, Codec } from './schema/unischema.js';
export { DTYPES } from './schema/dtype.js';
export type { DType } from './schema/dtype.js';
export { compileRowValidator, validateColumns } from './schema/validate.js';
export type { RowOrigin } from './schema/validate.js';
export { encodeNpy, decodeNpy } from './schema/npy.js';
export type { NdArray, TensorData } from './schema/npy.js';
export type { Column, ColumnBatch, NumericColumn } from './schema/columns.js';

// Materialize
export { materializeDataset } from './materialize/materialize.js';
export type { MaterializeOptions, MaterializeResult } from './materialize/materialize.js';
export type { Row, RowsInput, ColumnChunk } from './materialize/row-input.js';
export { importCsv } from './materialize/csv-import.js';
export type { ImportCsvOptions, ImportCsvResult, SkippedLine } from './materialize/csv-import.js';
export type { CsvHeaderLayout } from './materialize/csv-layout.js';
export { writeSummaryFiles } from './materialize/summary-files.js';
export type { SummaryFilesResult } from './materialize/summary-files.js';

// Store
export { openStore } from './store/open-store.js';
export type { Store, StoreFile, StoreRowGroup, ColumnStatistics } from './store/open-store.js';
export type { StoreField, FieldCodec } from './store/store-field.js';
export { ioOptionsSchema } from './store/io-options.js';
export type { IoOptions } from './store/io-options.js';
export { httpLocation } from './store/store-location.js';
export type { StoreLocation, StoreRef } from './store/store-location.js';
export { bytesSource } from './store/byte-range-source.js';
export type { ByteRangeSource } from './store/byte-range-source.js';
export { httpSource } from './store/http-source.js';
export type { HttpSourceOptions, FetchStats } from './store/http-source.js';
export { fileSource } from './node/file-source.js';
export { localLocation } from './node/local-location.js';
export { serveStore, storeRequestHandler } from './node/store-server.js';
export type { StoreServerOptions, ServeStoreOptions, StoreServer, StoreServerLogEntry } from './node/store-server.js';

// Readers
export { makeBatchReader } from './readers/batch-reader.js';
export type { BatchReader } from './readers/batch-reader.js';
export { makeReader } from './readers/row-reader.js';
export type { RowReader, DecodedRow } from './readers/row-reader.js';
export { readOptionsSchema } from './readers/read-options.js';
export type { ReadOptions, ReaderOptions } from './readers/read-options.js';
export type { ReaderStats } from './readers/row-group-loader.js';
export { zstdDecoder } from './readers/compressors.js';
export type { ZstdDecoderInfo } from './readers/compressors.js';
export type { FilterPredicate, FilterOp } from './readers/row-filter.js';
export type { StringNdArray } from './readers/tensor-codecs.js';

// Windowing
export { columnsSource } from './windowing/window-source.js';
export type { WindowSource, UnitBatch, ColumnsSourceOptions } from './windowing/window-source.js';
export { storeWindowSource } from './windowing/store-window-source.js';
export type { StoreWindowSource, StoreWindowSourceOptions } from './windowing/store-window-source.js';
export { denormalize, normalizeValues, normalizationFromJSON } from './windowing/normalize.js';
export type { ColumnStats, NormalizationStats, NormalizeMethod, SeriesSelector } from './windowing/normalize.js';
export type { DatasetState } from './windowing/options.js';
export type { SplitSpec, Subset, TimeLike, TimeRange } from './windowing/split.js';

// The TensorFlow.js adapter
export { makeTfDataset } from './tfjs/make-tf-dataset.js';
export type { MakeTfDatasetOptions } from './tfjs/make-tf-dataset.js';
export { WindowDataset } from './tfjs/window-dataset.js';
export type { WindowElement, WindowInputs, SeriesReport } from './tfjs/window-dataset.js';
export type { SeriesIdValue } from './windowing/series-keys.js';
export { timeseriesDatasetFromArray } from './tfjs/keras-timeseries.js';
export type { TimeseriesArray, TimeseriesDatasetOptions, TimeseriesElement } from './tfjs/keras-timeseries.js';
export { initBackend } from './tfjs/backend.js';
export type { BackendName, BackendReport } from './tfjs/backend.js';
