import type * as tfl from '@tensorflow/tfjs-layers';
import { ConfigError, type MakeTfDatasetOptions, makeTfDataset, type NormalizationStats, openStore, parseOptions, type ReadOptions, type Store, type StoreRef, type WindowSource } from '../../index.js';
import { isWindowSource } from '../analytics/read-series.js';
import { buildLstmModel } from './lstm-model.js';
import { readOptionsOf } from '../store-read.js';
import { type ForecasterConfig, type ForecasterOptions, forecasterOptionsSchema } from './options.js';

/** A trained model (for inference: its optimizer state is released) with the statistics and options that feed it. Dispose `model` when done. */
export interface Forecaster {
  model: tfl.LayersModel;
  /** Train-range statistics of the log returns (from `makeTfDataset`); saved beside the model. */
  normalization: NormalizationStats;
  config: ForecasterConfig;
}

/** Progress of `trainForecaster`, for bars and logs. */
export type TrainProgress =
  | { kind: 'start'; epochs: number; batchesPerEpoch: number; windows: { train: number; validation: number } }
  | { kind: 'batch'; epoch: number; batch: number; loss: number }
  | { kind: 'epoch'; epoch: number; loss: number; valLoss: number };

/** Result of `trainForecaster`. */
export interface TrainResult extends Forecaster {
  /** Per-epoch mean training loss and validation loss (MSE of z-scored log returns). */
  history: { loss: number[]; valLoss: number[] };
  windows: { train: number; validation: number };
}

/** A forecaster's data: a store (opened once, with the I/O options) or any `WindowSource`. */
export type ForecastSource = StoreRef | Store | WindowSource;

/**
 * Opens a store source once (I/O options applied) so training, validation and test windows read the same
 * description; a `WindowSource` passes as is. Returns the options to forward to `makeTfDataset` with it.
 */
export async function openForecastSource(source: ForecastSource, read: ReadOptions): Promise<{ source: Store | WindowSource; read: ReadOptions }> {
  if (isWindowSource(source)) {
    const given = Object.keys(read);
    if (given.length > 0) throw new ConfigError(`${given[0]} applies to stores; this source is a WindowSource, which delivers its own rows`);
    return { source, read };
  }
  const { headers, fetch, files, rangeFallback, fetchTimeoutMs, ...rest } = read;
  return { source: await openStore(source, { headers, fetch, files, rangeFallback, fetchTimeoutMs }), read: rest };
}

/**
 * The `makeTfDataset` options shared by training, validation and test for one forecaster config: the same
 * split for all three, so no window crosses from one part into another; callers choose the `subset`.
 */
export function windowOptions(config: ForecasterConfig): Omit<MakeTfDatasetOptions, 'subset'> {
  const t = config.training;
  return {
    features: [config.priceColumn],
    targets: [config.priceColumn],
    windowSize: config.windowSize,
    logReturns: [config.priceColumn],
    timestampColumn: config.timestampColumn,
    ...(config.seriesColumns?.length ? { seriesColumns: config.seriesColumns } : {}),
    ...(config.maxGap !== null ? { maxGap: config.maxGap } : {}),
    batchSize: t.batchSize,
    split: t.split,
  };
}

/**
 * Trains an LSTM on the oldest `split.train` part of a price series and validates on the next
 * `split.validation` part, through `makeTfDataset` and `model.fitDataset`. The model learns the next
 * z-scored log return from the last `windowSize` ones; `evaluateForecaster` scores it on the test part.
 * With `seriesColumns`, the parts are taken in every series and one global model learns from all of them.
 * Uses whichever TensorFlow.js backend is active (see `initBackend`).
 *
 * @example
 * await initBackend();
 * const trained = await trainForecaster('./out/btc-store', { epochs: 3 }, (p) => p.kind === 'epoch' && console.log(p));
 * const evaluation = await evaluateForecaster(trained, './out/btc-store');
 */
export async function trainForecaster(source: ForecastSource, options: ForecasterOptions = {}, onProgress?: (p: TrainProgress) => void): Promise<TrainResult> {
  const fn = 'trainForecaster';
  const o = parseOptions(fn, forecasterOptionsSchema, options);
  const sum = o.split.train + o.split.validation + o.split.test;
  if (sum > 1 + 1e-9) throw new ConfigError(`${fn}: split fractions must sum to at most 1; received train=${o.split.train}, validation=${o.split.validation}, test=${o.split.test} (sum ${sum})`);
  const movingAverageWindow = o.movingAverageWindow ?? Math.min(24, o.windowSize);
  if (movingAverageWindow > o.windowSize) throw new ConfigError(`${fn}: movingAverageWindow (${movingAverageWindow}) must be <= windowSize (${o.windowSize}): the baseline averages prices inside the window`);
  const config: ForecasterConfig = {
    version: 1,
    timestampColumn: o.timestampColumn,
    priceColumn: o.priceColumn,
    ...(o.seriesColumns.length ? { seriesColumns: o.seriesColumns } : {}),
    windowSize: o.windowSize,
    units: o.units,
    maxGap: o.maxGap ?? null,
    training: { epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, split: o.split, seed: o.seed, movingAverageWindow },
  };
  const { source: src, read } = await openForecastSource(source, readOptionsOf(options));
  const base = { ...windowOptions(config), ...read };
  const train = await makeTfDataset(src, { ...base, subset: 'train', normalize: 'zscore', shuffle: true, seed: o.seed });
  const validation = await makeTfDataset(src, { ...base, subset: 'validation', normalization: train.normalization });
  const windows = { train: train.windowsPerEpoch, validation: validation.windowsPerEpoch };
  if (windows.train === 0) throw new ConfigError(`${fn}: the train part holds no complete window of ${o.windowSize + 2} rows; use more rows or a smaller windowSize`);
  if (windows.validation === 0) throw new ConfigError(`${fn}: the validation part holds no complete window of ${o.windowSize + 2} rows; use more rows, a larger split.validation or a smaller windowSize`);

  const model = buildLstmModel(o.windowSize, o.units, o.learningRate, o.seed);
  const history = { loss: [] as number[], valLoss: [] as number[] };
  onProgress?.({ kind: 'start', epochs: o.epochs, batchesPerEpoch: train.size, windows });
  let failed = true;
  try {
    let epoch = 0;
    await model.fitDataset(train, {
      epochs: o.epochs,
      validationData: validation,
      verbose: 0,
      callbacks: {
        onEpochBegin: async (e) => {
          epoch = e;
        },
        onBatchEnd: async (batch, logs) => onProgress?.({ kind: 'batch', epoch, batch, loss: logs?.loss ?? NaN }),
        onEpochEnd: async (e, logs) => {
          history.loss.push(logs?.loss ?? NaN);
          history.valLoss.push(logs?.val_loss ?? NaN);
          onProgress?.({ kind: 'epoch', epoch: e, loss: logs?.loss ?? NaN, valLoss: logs?.val_loss ?? NaN });
        },
      },
    });
    failed = false;
  } finally {
    // The optimizer was passed in as an object, so model.dispose() would not free its slots (Adam: 2 per
    // weight): release them here. The returned model is for inference and saving.
    model.optimizer.dispose();
    if (failed) model.dispose();
  }
  return { model, normalization: train.normalization, config, history, windows };
}
