// The large-row-group cases (issue #23): reading columns a and b of a 20M-row row group written by DuckDB, by
// this SDK and by DuckDB itself, timed to the first batch and to the last row; the first million rows of the
// 300M-zero file; and windows/s over the one row group against the same rows in row groups of 65,536.
import { DuckDBInstance } from '@duckdb/node-api';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { makeBatchReader, makeTfDataset } from '../../src/index.js';
import { type CaseMeasure, type CaseParams, consume, now, xsBytes } from '../measure.js';

const quote = (p: string) => `'${p.replaceAll("'", "''")}'`;

/** This SDK's batch reader over `dir`: seconds to the first batch and to `limit` rows (all by default). */
async function sdkRead(dir: string, columns: string[] | undefined, limit: number): Promise<{ rows: number; first: number; seconds: number }> {
  const t0 = now();
  const reader = await makeBatchReader(dir, { batchSize: 65_536, ...(columns ? { columns } : {}) });
  let rows = 0;
  let first = NaN;
  for await (const b of reader) {
    if (rows === 0) first = now() - t0;
    rows += b.numRows;
    if (rows >= limit) break;
  }
  return { rows, first, seconds: now() - t0 };
}

/** DuckDB (2 threads) streaming the same columns into its chunks: seconds to the first chunk and to `limit` rows. */
async function duckdbRead(file: string, columns: string, limit: number, threads: number): Promise<{ rows: number; first: number; seconds: number }> {
  const t0 = now();
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const conn = await db.connect();
  try {
    const result = await conn.stream(`SELECT ${columns} FROM read_parquet(${quote(file)})${Number.isFinite(limit) ? ` LIMIT ${limit}` : ''}`);
    let rows = 0;
    let first = NaN;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      if (rows === 0) first = now() - t0;
      rows += chunk.rowCount;
    }
    return { rows, first, seconds: now() - t0 };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export default async function bigRowGroup(p: CaseParams): Promise<CaseMeasure> {
  const mode = p.bigMode!;
  const dir = p.storeDir;
  if (mode === 'windows') {
    const options = { features: ['a', 'b'], targets: ['a'], windowSize: p.window, batchSize: p.batch, ...(p.sdkWorkers === undefined ? {} : { workers: p.sdkWorkers }) };
    const t0 = now();
    const r = await consume(await makeTfDataset(dir, options), tf);
    return { windows: r.windows, rows: r.windows + p.window, bytes: xsBytes(r.windows, { ...p, features: 2 }), seconds: now() - t0, capped: false, extra: { firstBatchSeconds: r.firstBatchSeconds } };
  }
  const limit = mode.startsWith('zeros') ? 1_000_000 : Infinity;
  const r =
    mode === 'sdk-read' ? await sdkRead(dir, ['a', 'b'], limit)
    : mode === 'duckdb-read' ? await duckdbRead(join(dir, 'one.parquet'), 'a, b', limit, Math.max(1, p.workers))
    : mode === 'zeros-sdk' ? await sdkRead(dir, undefined, limit)
    : await duckdbRead(join(dir, 'zeros.parquet'), 'x', limit, Math.max(1, p.workers));
  return { windows: 0, rows: r.rows, bytes: r.rows * (mode.startsWith('zeros') ? 4 : 12), seconds: r.seconds, capped: false, extra: { firstBatchSeconds: r.first } };
}
