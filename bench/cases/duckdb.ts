// Case 2, DuckDB + the best hand assembly: @duckdb/node-api opens an in-memory database and reads the same
// Parquet files into typed columns (threads = workers), then `handWindowsDataset` assembles the windows.
// The timed run includes creating the database and the read, as the SDK case includes opening the store.
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { featureNames } from '../data.js';
import type { CaseMeasure, CaseParams } from '../measure.js';
import { handWindowsDataset, readThenWindow } from './hand-assembly.js';

interface Vector {
  items: Float32Array;
}

/** The F feature columns of the store as Float32Arrays, read by DuckDB (the first `limit` rows if given). */
export async function duckdbColumns(p: CaseParams, limit?: number): Promise<{ numRows: number; columns: Float32Array[] }> {
  const db = await DuckDBInstance.create(':memory:', { threads: String(Math.max(1, p.workers)) });
  const conn = await db.connect();
  try {
    const files = `'${join(p.storeDir, 'part-*.parquet').replaceAll("'", "''")}'`;
    const names = featureNames(p.features);
    const count = await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${files})`);
    const total = Math.min(Number(count.getRowObjectsJS()[0]!.n), limit ?? Infinity);
    const columns = names.map(() => new Float32Array(total));
    const result = await conn.stream(`SELECT ${names.join(', ')} FROM read_parquet(${files})${limit !== undefined ? ` LIMIT ${limit}` : ''}`);
    let at = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const n = chunk.rowCount;
      for (let f = 0; f < names.length; f++) columns[f]!.set((chunk.getColumnVector(f) as unknown as Vector).items.subarray(0, n), at);
      at += n;
    }
    return { numRows: at, columns };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export default async function duckdb(p: CaseParams): Promise<CaseMeasure> {
  const m = await readThenWindow(p, duckdbColumns, handWindowsDataset);
  return { ...m, extra: { ...m.extra, threads: Math.max(1, p.workers) } };
}
