/**
 * tfjs-parquet-loader: a schema-enforced Parquet store for time series, streamed into TensorFlow.js.
 *
 * The public surface, in data-flow order: schema → ingest → materialize → loader → windowing.
 */

// Errors
export { TfplError, ConfigError, SchemaError, StoreError, CsvError, isTfplError } from './errors.js';

// Schema
export { defineSchema, Unischema, schemaDifferences, SCHEMA_METADATA_KEY } from './schema/unischema.js';
export type { FieldSpec, UnischemaField, UnischemaJson, Codec } from './schema/unischema.js';
export { DTYPES } from './schema/dtype.js';
export type { DType } from './schema/dtype.js';
export { BitcoinSchema } from './schema/bitcoin.js';
export { compileRowValidator, validateColumns } from './schema/validate.js';
export type { RowOrigin } from './schema/validate.js';
export { encodeNpy, decodeNpy } from './schema/npy.js';
export type { NdArray, TensorData } from './schema/npy.js';
export type { Column, ColumnBatch, NumericColumn } from './schema/columns.js';

// Ingest
export { CoinGeckoClient, COINGECKO_BASE_URLS, coinGeckoClientFromEnv, CoinGeckoError, backfill, collect, CsvRowSink, CSV_HEADER, formatCsvRow } from './ingest/index.js';
export type {
  CoinGeckoClientOptions,
  SimplePriceOptions,
  MarketChartRangeOptions,
  CoinGeckoFailure,
  BackfillOptions,
  BackfillProgress,
  BackfillResult,
  MarketChartSource,
  CollectOptions,
  CollectResult,
  TickReport,
  SimplePriceSource,
  RowSink,
  PriceRow,
  IngestLogEvent,
  IngestLogger,
  Clock,
} from './ingest/index.js';
export { SyntheticMarketChart } from './ingest/synthetic-market.js';
export type { SyntheticMarketOptions } from './ingest/synthetic-market.js';

// Materialize
export { materializeDataset } from './materialize/materialize.js';
export type { MaterializeOptions, MaterializeResult } from './materialize/materialize.js';
export type { Row, RowsInput } from './materialize/row-input.js';
export { importCsv } from './materialize/csv-import.js';
export type { ImportCsvOptions, ImportCsvResult, SkippedLine } from './materialize/csv-import.js';
export { openStore } from './materialize/open-store.js';
export { storeRowSink } from './materialize/store-sink.js';
export type { StoreInfo, RowGroupInfo, StoreFileInfo, ColumnStatistics } from './materialize/open-store.js';

// Loader
export { makeBatchReader, makeReader, storeWindowSource, ParquetReadError, fileSource, bytesSource, httpSource, localLocation, httpLocation, FILTER_OPS, RANGE_FALLBACKS } from './loader/index.js';
export type {
  BatchReader,
  RowReader,
  DecodedRow,
  ReaderOptions,
  ReaderStats,
  ByteRangeSource,
  StoreLocation,
  HttpSourceOptions,
  FetchStats,
  StoreField,
  FieldCodec,
  FilterPredicate,
  FilterOp,
  StringNdArray,
  StoreWindowSource,
  StoreWindowSourceOptions,
} from './loader/index.js';

// Windowing and the tf.data adapter
export { makeTfDataset, WindowDataset, timeseriesDatasetFromArray, columnsSource, denormalize, initBackend } from './windowing/index.js';
export type {
  MakeTfDatasetOptions,
  DatasetState,
  WindowElement,
  WindowSource,
  ColumnsSourceOptions,
  NormalizationStats,
  ColumnStats,
  NormalizeMethod,
  SplitSpec,
  Subset,
  TimeLike,
  TimeRange,
  TimeseriesArray,
  TimeseriesDatasetOptions,
  TimeseriesElement,
  BackendName,
  BackendReport,
} from './windowing/index.js';

// Analytics, forecasting and plots (the worked example's building blocks)
export { analyzeSeries, analyzeStore, simpleMovingAverage, exponentialMovingAverage, logReturns, rollingVolatility, periodsPerYearOf, drawdown, readPriceSeries } from './analytics/index.js';
export type { AnalyzeOptions, SeriesAnalysis, SeriesSummary, EmaOptions, RollingVolatilityOptions, DrawdownResult, PriceSeries, PriceColumns } from './analytics/index.js';
export {
  trainForecaster,
  evaluateForecaster,
  forecastNext,
  saveForecaster,
  loadForecaster,
  fileSystemHandler,
  registerFileRouter,
  persistenceForecast,
  movingAverageForecast,
  forecastMetrics,
  formatComparison,
  importPriceCsv,
  detectPriceCsvLayout,
  CandleSchema,
} from './forecast/index.js';
export type {
  ForecasterOptions,
  ForecasterConfig,
  Forecaster,
  TrainResult,
  TrainProgress,
  ForecastEvaluation,
  ForecasterName,
  ForecastMetrics,
  NextForecast,
  SavedForecaster,
  ImportPriceCsvResult,
  PriceCsvLayout,
} from './forecast/index.js';
export { priceChartSpec, volatilityChartSpec, forecastChartSpec, renderSvg, svgToPng, writeChart } from './plot/index.js';
export type { ChartOptions, ChartFiles } from './plot/index.js';
