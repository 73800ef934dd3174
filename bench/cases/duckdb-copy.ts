// DuckDB's COPY (SELECT … FROM read_csv(…)) TO 'x.parquet': the same CSV prefix to one zstd Parquet file
// with the same column types (timestamp, float32 features) and compression, threads = workers.
import { DuckDBInstance } from '@duckdb/node-api';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { featureNames } from '../data.js';
import { type CaseMeasure, type CaseParams, now } from '../measure.js';

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

export default async function duckdbCopy(p: CaseParams): Promise<CaseMeasure> {
  const out = join(p.scratchDir, 'duckdb-copy.parquet');
  rmSync(out, { force: true });
  const db = await DuckDBInstance.create(':memory:', { threads: String(Math.max(1, p.workers)) });
  const conn = await db.connect();
  const names = featureNames(p.features);
  const types = `{'timestamp': 'BIGINT', ${names.map((n) => `'${n}': 'FLOAT'`).join(', ')}}`;
  const t0 = now();
  await conn.run(
    `COPY (SELECT epoch_ms("timestamp") AS "timestamp", ${names.join(', ')} FROM read_csv(${lit(p.materializeCsv)}, header = true, columns = ${types})) ` +
      `TO ${lit(out)} (FORMAT parquet, COMPRESSION ${({ zstd: 'zstd', snappy: 'snappy', none: 'uncompressed' } as const)[p.compression ?? 'zstd']})`,
  );
  const seconds = now() - t0;
  conn.closeSync();
  db.closeSync();
  rmSync(out, { force: true });
  return { windows: 0, rows: p.materializeRows, bytes: p.materializeCsvBytes, seconds, capped: false, extra: { threads: Math.max(1, p.workers) } };
}
