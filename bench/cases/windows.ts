// The one dataset definition every SDK case uses: all F features as xs, f0 of the next row as ys.
import type { MakeTfDatasetOptions } from '../../src/index.js';
import { featureNames } from '../data.js';
import type { CaseParams } from '../measure.js';

/** Same batches as the baselines: xs [batch, window, features] float32, ys [batch, 1] = f0 of the next row. */
export function sdkOptions(p: CaseParams): MakeTfDatasetOptions {
  return { features: featureNames(p.features), targets: ['f0'], windowSize: p.window, batchSize: p.batch, normalize: 'none', ...(p.seriesColumns ? { seriesColumns: p.seriesColumns } : {}), ...(p.trainFraction === undefined ? {} : { split: { train: p.trainFraction, test: 1 - p.trainFraction } }) };
}
