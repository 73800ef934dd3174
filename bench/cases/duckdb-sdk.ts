// Case 3, DuckDB's columns through the SDK's windowing: DuckDB reads the store into typed columns (as in
// case 2), then `makeTfDataset(columnsSource(columns))` assembles the windows. Timed from creating the
// database to the last batch.
import * as tf from '@tensorflow/tfjs';
import { columnsSource, makeTfDataset } from '../../src/index.js';
import { featureNames } from '../data.js';
import type { CaseMeasure, CaseParams } from '../measure.js';
import { duckdbColumns } from './duckdb.js';
import { readThenWindow } from './hand-assembly.js';
import { sdkOptions } from './windows.js';

/** The SDK's window dataset over columns DuckDB read. */
export async function duckdbSdkDataset(p: CaseParams, numRows: number, columns: Float32Array[]): Promise<tf.data.Dataset<tf.TensorContainer>> {
  const named: Record<string, Float32Array> = {};
  featureNames(p.features).forEach((n, f) => (named[n] = columns[f]!.subarray(0, numRows)));
  return makeTfDataset(columnsSource(named), sdkOptions(p)) as Promise<tf.data.Dataset<tf.TensorContainer>>;
}

export default async function duckdbSdk(p: CaseParams): Promise<CaseMeasure> {
  const m = await readThenWindow(p, duckdbColumns, duckdbSdkDataset);
  return { ...m, extra: { ...m.extra, threads: Math.max(1, p.workers) } };
}
