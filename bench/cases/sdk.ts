// Case 1, this SDK: makeTfDataset over the Parquet store (decoded by the loader with `sdkWorkers` threads),
// iterating every batch of one epoch and disposing it. After a warm-up on a dataset of its own, the timed run
// opens the store again: the figure includes the open (footers, decode workers' start), like the baselines.
// `consume` says how the epoch is taken (next(), forEachAsync, toArray), `trainFraction` how much of it.
import * as tf from '@tensorflow/tfjs';
import { makeTfDataset } from '../../src/index.js';
import { type CaseMeasure, type CaseParams, consume, consumeBy, now, xsBytes } from '../measure.js';
import { storeSource } from './store-source.js';
import { sdkOptions } from './windows.js';

export default async function sdk(p: CaseParams): Promise<CaseMeasure> {
  await consume(await makeTfDataset(await storeSource(p), sdkOptions(p)), tf, { maxWindows: p.warmupBatches * p.batch });
  const t0 = now();
  const ds = await makeTfDataset(await storeSource(p), sdkOptions(p));
  const openSeconds = now() - t0;
  const r = await consumeBy(p.consume, ds, tf);
  const seconds = now() - t0;
  return {
    windows: r.windows,
    rows: r.windows + p.window,
    bytes: xsBytes(r.windows, p),
    seconds,
    capped: false,
    extra: { openSeconds, firstBatchSeconds: openSeconds + r.firstBatchSeconds, ...(p.sdkWorkers === undefined ? {} : { workers: p.sdkWorkers }) },
  };
}
