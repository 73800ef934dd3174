// makeTfDataset over columns already in memory (chunked like row groups): window assembly + one tensor per
// batch with no decode, the SDK's counterpart of the memory-copy limit.
import * as tf from '@tensorflow/tfjs';
import { columnsSource, makeTfDataset } from '../../src/index.js';
import { featureNames, seriesColumns } from '../data.js';
import { type CaseMeasure, type CaseParams, consume, xsBytes } from '../measure.js';
import { sdkOptions } from './windows.js';

export default async function assembly(p: CaseParams): Promise<CaseMeasure> {
  const s = seriesColumns(p.rows, p.features, p.seed);
  const cols: Record<string, Float32Array | Float64Array> = { timestamp: s.timestamp };
  featureNames(p.features).forEach((n, f) => (cols[n] = s.features[f]!));
  const ds = await makeTfDataset(columnsSource(cols, { chunkRows: p.rowGroupSize }), sdkOptions(p));
  await consume(ds, tf, { maxWindows: p.warmupBatches * p.batch });
  const r = await consume(ds, tf);
  return { windows: r.windows, rows: r.windows + p.window, bytes: xsBytes(r.windows, p), seconds: r.seconds, capped: false };
}
