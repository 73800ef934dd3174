// The data of the large-row-group cases (issue #23), written once into the bench cache: DuckDB writes the same
// 20M rows (timestamp, a FLOAT, b DOUBLE, random; zstd) as one row group and in row groups of 65,536; pyarrow
// (when python3 with a local pyarrow wheel is there) writes 300,000,000 int32 zeros as one row group,
// dictionary-encoded, zstd: a 1 MB file that decodes to 1.2 GB. pyarrow 25 cuts row groups at 64Mi rows
// unless its module's cap is raised, as the file was written.
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BigData {
  /** Folder holding one.parquet: one row group. */
  oneDir: string;
  /** Folder holding many.parquet: the same rows in row groups of 65,536. */
  manyDir: string;
  rows: number;
  bytes: number;
  /** Folder holding zeros.parquet, or null (and why) when pyarrow is not available. */
  zerosDir: string | null;
  zerosWhy?: string;
}

const quote = (p: string) => `'${p.replaceAll("'", "''")}'`;

export async function ensureBigData(cacheDir: string, rows: number, zerosRows: number, log: (msg: string) => void): Promise<BigData> {
  const dir = join(cacheDir, `bigrg-${rows}`);
  const oneDir = join(dir, 'one');
  const manyDir = join(dir, 'many');
  const done = join(dir, 'done');
  if (!existsSync(done)) {
    log(`writing ${rows.toLocaleString('en-US')} rows as one row group and in row groups of 65,536 with DuckDB (${dir})`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(oneDir, { recursive: true });
    mkdirSync(manyDir, { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      await conn.run('SELECT setseed(0.5)');
      await conn.run(`CREATE TABLE t AS SELECT (TIMESTAMP '2024-01-01' + to_seconds(i)) AS ts, random()::FLOAT AS a, random()::DOUBLE AS b FROM range(${rows}) r(i)`);
      await conn.run(`COPY t TO ${quote(join(oneDir, 'one.parquet'))} (FORMAT PARQUET, ROW_GROUP_SIZE ${rows}, COMPRESSION zstd)`);
      await conn.run(`COPY t TO ${quote(join(manyDir, 'many.parquet'))} (FORMAT PARQUET, ROW_GROUP_SIZE 65536, COMPRESSION zstd)`);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    writeFileSync(done, '');
  }
  const zeros = ensureZeros(cacheDir, zerosRows, log);
  return { oneDir, manyDir, rows, bytes: statSync(join(oneDir, 'one.parquet')).size, zerosDir: zeros.dir, ...(zeros.why ? { zerosWhy: zeros.why } : {}) };
}

/** The zeros file (300M by default), written by pyarrow in a virtual environment of the bench cache (offline wheels). */
function ensureZeros(cacheDir: string, rows: number, log: (msg: string) => void): { dir: string | null; why?: string } {
  const dir = join(cacheDir, `zeros-${rows}-1rg`);
  const file = join(dir, 'zeros.parquet');
  if (existsSync(file)) return { dir };
  const venv = join(cacheDir, 'venv');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    log('creating a Python virtual environment with pyarrow for the 300M-zero file');
    const made = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
    if (made.status !== 0) return { dir: null, why: `python3 -m venv failed: ${(made.stderr || made.error?.message || '').trim().split('\n').pop()}` };
    // No retries: offline, pip would wait out its backoff on the public index before the local one.
    const pip = spawnSync(join(venv, 'bin', 'pip'), ['install', '-q', 'pyarrow'], { encoding: 'utf8', env: { PIP_RETRIES: '0', ...process.env } });
    if (pip.status !== 0) return { dir: null, why: `pip install pyarrow failed: ${(pip.stderr || '').trim().split('\n').pop()}` };
  }
  mkdirSync(dir, { recursive: true });
  const script = [
    'import pyarrow as pa, pyarrow.parquet as pq, pyarrow._parquet as pqi',
    `pqi._MAX_ROW_GROUP_SIZE = max(pqi._MAX_ROW_GROUP_SIZE, ${rows})`,
    `t = pa.table({'x': pa.repeat(pa.scalar(0, pa.int32()), ${rows})})`,
    `pq.write_table(t, ${JSON.stringify(file)}, row_group_size=${rows}, compression='zstd', use_dictionary=True)`,
    `assert pq.ParquetFile(${JSON.stringify(file)}).metadata.num_row_groups == 1`,
    '',
  ].join('\n');
  log(`writing ${rows.toLocaleString('en-US')} int32 zeros as one row group with pyarrow`);
  const w = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  if (w.status !== 0) return { dir: null, why: `pyarrow could not write the file: ${(w.stderr || '').trim().split('\n').pop()}` };
  return { dir };
}
