/**
 * The part of the SDK that runs on every platform, in data-flow order: schema → store → readers →
 * windowing → the TensorFlow.js adapter. It is the package's main entry in a browser (the `browser`
 * condition, bundled by scripts/bundle-browser.ts); Node's main entry (src/index.ts) is this plus what
 * needs local files: the writer, local locations and the store server.
 */

// The platform (Node's, or in the browser build the browser's), installed before anything runs.
import './platform.js';

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

// Store
export { openStore } from './store/open-store.js';
export type { Store, StoreFile, StoreRowGroup, ColumnStatistics } from './store/open-store.js';
export { watchStore } from './store/watch-store.js';
export type { WatchOptions } from './store/commit-watcher.js';
export type { StoreField, FieldCodec } from './store/store-field.js';
export { ioOptionsSchema } from './store/io-options.js';
export type { IoOptions } from './store/io-options.js';
export { httpLocation } from './store/http-location.js';
export type { StoreLocation, StoreRef, FileLook } from './store/store-location.js';
export { bytesSource } from './store/byte-range-source.js';
export type { ByteRangeSource } from './store/byte-range-source.js';
export { httpSource } from './store/http-source.js';
export type { HttpSourceOptions, FetchStats } from './store/http-source.js';

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
export type { DatasetState, FollowState } from './windowing/options.js';
export type { SplitSpec, Subset, TimeLike, TimeRange } from './windowing/split.js';

// The TensorFlow.js adapter
export { makeTfDataset } from './tfjs/make-tf-dataset.js';
export type { MakeTfDatasetOptions } from './tfjs/make-tf-dataset.js';
export { WindowDataset } from './tfjs/window-dataset.js';
export { FollowDataset } from './tfjs/follow-dataset.js';
export type { FollowWindows } from './windowing/follow-windows.js';
export type { WindowElement, WindowInputs, SeriesReport } from './tfjs/window-dataset.js';
export type { SeriesIdValue } from './windowing/series-keys.js';
export { timeseriesDatasetFromArray } from './tfjs/keras-timeseries.js';
export type { TimeseriesArray, TimeseriesDatasetOptions, TimeseriesElement } from './tfjs/keras-timeseries.js';
export { initBackend } from './tfjs/backend.js';
export type { BackendName, BackendReport } from './tfjs/backend.js';
