// The loader stage's public surface (re-exported by name from src/index.ts).
export { makeBatchReader, type BatchReader } from './batch-reader.js';
export { makeReader, type RowReader, type DecodedRow } from './row-reader.js';
export { storeWindowSource, type StoreWindowSource, type StoreWindowSourceOptions } from './store-window-source.js';
export type { ReaderOptions } from './reader-options.js';
export type { ReaderStats } from './row-group-loader.js';
export { ParquetReadError } from './parquet-read-error.js';
export { type ByteRangeSource, fileSource, bytesSource } from './byte-range-source.js';
export { httpSource, type HttpSourceOptions, type FetchStats, RANGE_FALLBACKS } from './http-source.js';
export { type StoreLocation, localLocation, httpLocation } from './store-location.js';
export type { StoreField, FieldCodec } from './store-field.js';
export { FILTER_OPS, type FilterPredicate, type FilterOp } from './row-filter.js';
export { RowGroupPlan, assignShards } from './row-group-plan.js';
export type { StringNdArray } from './tensor-codecs.js';
