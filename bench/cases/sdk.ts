// Case 1, this SDK: makeTfDataset over the Parquet store (decoded by the loader with `workers` threads),
// iterating every batch of one epoch and disposing it.
import * as tf from '@tensorflow/tfjs';
import { makeTfDataset } from '../../src/index.js';
import { type CaseMeasure, type CaseParams, consume, now, xsBytes } from '../measure.js';
import { storeSource } from './store-source.js';
import { sdkOptions } from './windows.js';

export default async function sdk(p: CaseParams): Promise<CaseMeasure> {
  const t0 = now();
  const ds = await makeTfDataset(await storeSource(p), sdkOptions(p));
  const openSeconds = now() - t0;
  await consume(ds, tf, { maxWindows: p.warmupBatches * p.batch });
  const r = await consume(ds, tf);
  return { windows: r.windows, rows: r.windows + p.window, bytes: xsBytes(r.windows, p), seconds: r.seconds, capped: false, extra: { openSeconds, firstBatchSeconds: r.firstBatchSeconds, workers: p.workers } };
}
