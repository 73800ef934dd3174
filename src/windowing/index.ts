// Public surface of the windowing stage and the tf adapter; src/index.ts re-exports these by name.
export { initBackend, type BackendName, type BackendReport } from './backend.js';
export { timeseriesDatasetFromArray, type TimeseriesArray, type TimeseriesDatasetOptions, type TimeseriesElement } from './keras-timeseries.js';
export { makeTfDataset } from './make-tf-dataset.js';
export { denormalize, type ColumnStats, type NormalizationStats, type NormalizeMethod } from './normalize.js';
export type { DatasetState, MakeTfDatasetOptions } from './options.js';
export type { SplitSpec, Subset, TimeLike, TimeRange } from './split.js';
export { WindowDataset, type WindowElement } from './tf-dataset.js';
export { columnsSource, type ColumnsSourceOptions, type WindowSource } from './window-source.js';
