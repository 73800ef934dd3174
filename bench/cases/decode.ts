// Limit: decode only. The loader's makeBatchReader turns the store into typed columns (the F features),
// no windows, no tensors. Compared with DuckDB reading the same files (case 4's read phase).
import { makeBatchReader } from '../../src/index.js';
import { featureNames } from '../data.js';
import { type CaseMeasure, type CaseParams, now } from '../measure.js';

async function readAll(p: CaseParams, maxRows = Infinity): Promise<{ rows: number; bytes: number }> {
  const reader = await makeBatchReader(p.storeDir, { columns: featureNames(p.features), workers: p.workers });
  let rows = 0;
  let bytes = 0;
  for await (const b of reader) {
    rows += b.numRows;
    for (const c of Object.values(b.columns)) bytes += (c as Float32Array).byteLength;
    if (rows >= maxRows) break;
  }
  return { rows, bytes };
}

export default async function decode(p: CaseParams): Promise<CaseMeasure> {
  await readAll(p, p.warmupBatches * p.batch);
  const t0 = now();
  const r = await readAll(p);
  return { windows: 0, rows: r.rows, bytes: r.bytes, seconds: now() - t0, capped: false, extra: { workers: p.workers } };
}
