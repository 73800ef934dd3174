// Case 4, the DuckDB baseline: @duckdb/node-api reads the same Parquet files into typed columns (threads =
// workers), then JS assembles the windows as a careful user would: interleave once into a row-major
// array, then one memcpy (`set`) per window into a batch buffer and one tensor per batch.
import * as tf from '@tensorflow/tfjs';
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { featureNames } from '../data.js';
import { type CaseMeasure, type CaseParams, consume, now, xsBytes } from '../measure.js';

interface Vector {
  items: Float32Array;
}

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

/** JS window assembly over columns DuckDB read. */
export function windowsDataset(p: CaseParams, numRows: number, columns: Float32Array[]) {
  const W = p.window;
  const F = p.features;
  const B = p.batch;
  return tf.data.generator(function* () {
    const rowMajor = new Float32Array(numRows * F);
    for (let f = 0; f < F; f++) {
      const c = columns[f]!;
      for (let i = 0; i < numRows; i++) rowMajor[i * F + f] = c[i]!;
    }
    const y = columns[0]!;
    const total = Math.max(0, numRows - W);
    for (let s0 = 0; s0 < total; s0 += B) {
      const b = Math.min(B, total - s0);
      const xs = new Float32Array(b * W * F);
      const ys = new Float32Array(b);
      for (let k = 0; k < b; k++) {
        const s = s0 + k;
        xs.set(rowMajor.subarray(s * F, (s + W) * F), k * W * F);
        ys[k] = y[s + W]!;
      }
      yield { xs: tf.tensor3d(xs, [b, W, F]), ys: tf.tensor2d(ys, [b, 1]) };
    }
  }) as unknown as tf.data.Dataset<tf.TensorContainer>;
}

export default async function duckdb(p: CaseParams): Promise<CaseMeasure> {
  const warm = await duckdbColumns(p, p.warmupBatches * p.batch + p.window);
  await consume(windowsDataset(p, warm.numRows, warm.columns), tf);
  const t0 = now();
  const { numRows, columns } = await duckdbColumns(p);
  const readSeconds = now() - t0;
  const r = await consume(windowsDataset(p, numRows, columns), tf);
  const seconds = now() - t0;
  return {
    windows: r.windows,
    rows: numRows,
    bytes: xsBytes(r.windows, p),
    seconds,
    capped: false,
    extra: { readSeconds, assemblySeconds: r.seconds, readRowsPerSec: numRows / readSeconds, threads: Math.max(1, p.workers) },
  };
}
