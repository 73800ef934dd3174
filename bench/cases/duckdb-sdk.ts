// Case 3, DuckDB's columns through the SDK's windowing: DuckDB reads the store into typed columns (as in
// case 2), then `makeTfDataset(columnsSource(columns))` assembles the windows. Timed from creating the
// database to the last batch.
import * as tf from '@tensorflow/tfjs';
import { columnsSource, makeTfDataset } from '../../src/index.js';
import { featureNames } from '../data.js';
import { type CaseMeasure, type CaseParams, consume, now, xsBytes } from '../measure.js';
import { duckdbColumns } from './duckdb.js';
import { sdkOptions } from './windows.js';

/** The SDK's window dataset over columns DuckDB read. */
export async function duckdbSdkDataset(p: CaseParams, numRows: number, columns: Float32Array[]): Promise<tf.data.Dataset<tf.TensorContainer>> {
  const named: Record<string, Float32Array> = {};
  featureNames(p.features).forEach((n, f) => (named[n] = columns[f]!.subarray(0, numRows)));
  return makeTfDataset(columnsSource(named), sdkOptions(p)) as Promise<tf.data.Dataset<tf.TensorContainer>>;
}

export default async function duckdbSdk(p: CaseParams): Promise<CaseMeasure> {
  const warm = await duckdbColumns(p, p.warmupBatches * p.batch + p.window);
  await consume(await duckdbSdkDataset(p, warm.numRows, warm.columns), tf);
  const t0 = now();
  const { numRows, columns } = await duckdbColumns(p);
  const readSeconds = now() - t0;
  const r = await consume(await duckdbSdkDataset(p, numRows, columns), tf);
  const seconds = now() - t0;
  return {
    windows: r.windows,
    rows: numRows,
    bytes: xsBytes(r.windows, p),
    seconds,
    capped: false,
    extra: { readSeconds, assemblySeconds: seconds - readSeconds, firstBatchSeconds: readSeconds + r.firstBatchSeconds, threads: Math.max(1, p.workers) },
  };
}
