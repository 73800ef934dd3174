// Decode throughput (rows/s) of the loader on an N-row BitcoinSchema store, 0/1/2 workers, against
// parquet-wasm and DuckDB reading the same files in the same run.
// Usage: npx tsx bench/decode.ts [--rows 10000000] [--row-group 65536] [--repeat 2] [--dir /tmp/store]
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BitcoinSchema } from '../src/forecasting/index.js';
import { type ColumnChunk, makeBatchReader, materializeDataset } from '../src/index.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    'row-group': { type: 'string', default: '65536' },
    repeat: { type: 'string', default: '2' },
    dir: { type: 'string' },
  },
});
const ROWS = Number(values.rows);
const RG = Number(values['row-group']);
const REPEAT = Number(values.repeat);
const dir = values.dir ?? join(tmpdir(), `tfpl-bench-${ROWS}-${RG}`);

async function* chunks(): AsyncIterable<ColumnChunk> {
  const step = 1_000_000;
  for (let from = 0; from < ROWS; from += step) {
    const n = Math.min(step, ROWS - from);
    const timestamp = new Float64Array(n);
    const price_usd = new Float32Array(n);
    const market_cap = new Float64Array(n);
    const price_change_24h = new Float32Array(n);
    const total_volume = new Float64Array(n);
    let p = 40_000;
    for (let k = 0; k < n; k++) {
      const i = from + k;
      p *= 1 + Math.sin(i * 0.001) * 1e-4;
      timestamp[k] = 1.7e12 + i * 60_000;
      price_usd[k] = p;
      market_cap[k] = p * 19.6e6;
      price_change_24h[k] = i % 97 === 0 ? NaN : Math.sin(i) * 500;
      total_volume[k] = i % 89 === 0 ? NaN : 2e10 + Math.cos(i) * 1e9;
    }
    yield { batch: { numRows: n, columns: { timestamp, price_usd, market_cap, price_change_24h, total_volume } } };
  }
}

if (!existsSync(join(dir, '_metadata'))) {
  const t = performance.now();
  await materializeDataset(dir, BitcoinSchema, chunks(), { rowGroupSize: RG, maxRowsPerFile: Math.max(RG, 1_048_576) });
  console.log(`wrote ${ROWS.toLocaleString()} rows to ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const parts = readdirSync(dir).filter((f) => f.endsWith('.parquet')).map((f) => join(dir, f));
console.log(`${ROWS.toLocaleString()} rows, ${parts.length} files, row groups of ${RG.toLocaleString()}; best of ${REPEAT} runs; 5 columns`);

function report(name: string, rows: number, ms: number) {
  console.log(`${name.padEnd(44)} ${(rows / (ms / 1000) / 1e6).toFixed(2).padStart(7)} M rows/s  (${(ms / 1000).toFixed(2)} s)`);
}

async function best(name: string, fn: () => Promise<number>) {
  let min = Infinity;
  let rows = 0;
  for (let r = 0; r < REPEAT; r++) {
    const t = performance.now();
    rows = await fn();
    min = Math.min(min, performance.now() - t);
  }
  report(name, rows, min);
}

// One reader per setting, read for 1 + REPEAT epochs: the first epoch includes starting the workers
// (under tsx each worker also compiles the TypeScript sources); the best later epoch is the steady state.
for (const workers of [0, 1, 2]) {
  const reader = await makeBatchReader(dir, { workers, numEpochs: 1 + REPEAT });
  const times: number[] = [];
  let n = 0;
  let t = performance.now();
  for await (const b of reader) {
    n += b.numRows;
    if (n === ROWS) {
      times.push(performance.now() - t);
      n = 0;
      t = performance.now();
    }
  }
  report(`makeBatchReader workers=${workers} (first epoch)`, ROWS, times[0]!);
  report(`makeBatchReader workers=${workers} (best later epoch)`, ROWS, Math.min(...times.slice(1)));
}

await best('parquet-wasm readParquet (wasm memory only)', async () => {
  let n = 0;
  for (const p of parts) {
    const t = pw.readParquet(new Uint8Array(readFileSync(p)), { batchSize: 1 << 20 });
    for (let i = 0; i < t.numBatches; i++) n += t.recordBatch(i)!.numRows;
    t.free();
  }
  return n;
});

await best('parquet-wasm readParquet + Arrow JS columns', async () => {
  let n = 0;
  for (const p of parts) {
    const t = arrow.tableFromIPC(pw.readParquet(new Uint8Array(readFileSync(p)), { batchSize: 1 << 20 }).intoIPCStream());
    for (const f of t.schema.fields) t.getChild(f.name)!.toArray();
    n += t.numRows;
  }
  return n;
});

const db = await (await DuckDBInstance.create(':memory:')).connect();
const glob = `'${join(dir, 'part-*.parquet')}'`;
await best('DuckDB scan (sum of every column, native)', async () => {
  const r = await db.runAndReadAll(`select count(*) n, sum(price_usd), sum(market_cap), sum(price_change_24h), sum(total_volume), max(timestamp) from read_parquet(${glob})`);
  return Number(r.getRows()[0]![0]);
});
await best('DuckDB read into JS columns', async () => {
  const r = await db.runAndReadAll(`select * from read_parquet(${glob})`);
  const cols = r.getColumns();
  return cols[0]!.length;
});
