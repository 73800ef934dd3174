// Materialize throughput: importCsv (CSV → schema-checked Parquet store, every row validated) over a CSV
// prefix of the series; compare with duckdb-copy on the same file.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { importCsv } from '../../src/index.js';
import { benchSchema } from '../data.js';
import { type CaseMeasure, type CaseParams, now } from '../measure.js';

export default async function materialize(p: CaseParams): Promise<CaseMeasure> {
  const out = join(p.scratchDir, 'import-store');
  rmSync(out, { recursive: true, force: true });
  const t0 = now();
  const r = await importCsv(p.materializeCsv, out, benchSchema(p.features), { mode: 'overwrite', compression: p.compression ?? 'zstd' });
  const seconds = now() - t0;
  rmSync(out, { recursive: true, force: true });
  return { windows: 0, rows: r.numRows, bytes: p.materializeCsvBytes, seconds, capped: false, extra: { rowGroups: r.rowGroups, files: r.files.length } };
}
