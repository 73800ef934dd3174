// Stores of many series for the series cases: S series × R rows of an integer series id, a timestamp and F
// float32 features, written sorted (series, then time) or interleaved (time, then series, as a collector
// appends every coin at each tick), cached under <cache-dir>/series-<hash>/ like the main store.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineSchema, materializeDataset, type Unischema } from '../src/index.js';
import { mulberry32 } from '../src/prng.js';
import { featureNames, START_MS, STEP_MS } from './data.js';

export type SeriesLayout = 'sorted' | 'interleaved';

/** What changes the bytes of a series store. */
export interface SeriesDataParams {
  series: number;
  rowsPerSeries: number;
  features: number;
  seed: number;
  rowGroupSize: number;
  layout: SeriesLayout;
}

const VERSION = 1;
/** Rows generated and written per chunk. */
const CHUNK_ROWS = 1 << 20;

/** sid (int32) + timestamp + f0..f{F-1} float32. */
export function seriesSchema(features: number): Unischema {
  return defineSchema(`BenchManySeries${features}`, [
    { name: 'sid', dtype: 'int32' },
    { name: 'timestamp', dtype: 'timestamp' },
    ...featureNames(features).map((name) => ({ name, dtype: 'float32' as const })),
  ]);
}

/**
 * Row g of the store as (series, row in series): sorted stores run series by series, interleaved ones tick by
 * tick. Every value derives from (series, row), so both layouts hold exactly the same rows.
 */
function* chunks(p: SeriesDataParams): Generator<{ numRows: number; columns: Record<string, Int32Array | Float64Array | Float32Array> }> {
  const total = p.series * p.rowsPerSeries;
  // A random walk per series, advanced in each series' own row order whatever the layout.
  const level = new Float64Array(p.series);
  const rng = Array.from({ length: p.series }, (_, s) => mulberry32(p.seed + s * 7919));
  for (let s = 0; s < p.series; s++) level[s] = 1_000 + 10 * s;
  for (let start = 0; start < total; start += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, total - start);
    const sid = new Int32Array(n);
    const timestamp = new Float64Array(n);
    const feats = Array.from({ length: p.features }, () => new Float32Array(n));
    for (let i = 0; i < n; i++) {
      const g = start + i;
      const s = p.layout === 'sorted' ? Math.floor(g / p.rowsPerSeries) : g % p.series;
      const r = p.layout === 'sorted' ? g % p.rowsPerSeries : Math.floor(g / p.series);
      sid[i] = s;
      timestamp[i] = START_MS + r * STEP_MS;
      level[s] = Math.max(1, level[s]! + Math.round((rng[s]!() - 0.5) * 8) / 4);
      for (let f = 0; f < p.features; f++) feats[f]![i] = level[s]! + f;
    }
    const columns: Record<string, Int32Array | Float64Array | Float32Array> = { sid, timestamp };
    featureNames(p.features).forEach((name, f) => (columns[name] = feats[f]!));
    yield { numRows: n, columns };
  }
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

export interface SeriesData {
  storeDir: string;
  storeBytes: number;
  generatedSeconds: number;
}

/** The store for `p`, generated unless a complete copy is cached (a manifest written last marks it complete). */
export async function ensureSeriesStore(cacheDir: string, p: SeriesDataParams, log?: (msg: string) => void): Promise<SeriesData> {
  const hash = createHash('sha256').update(JSON.stringify({ v: VERSION, ...p })).digest('hex').slice(0, 12);
  const dir = resolve(cacheDir, `series-${p.series}x${p.rowsPerSeries}-${p.layout}-${hash}`);
  const storeDir = join(dir, 'store');
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath) && existsSync(storeDir)) return { storeDir, storeBytes: JSON.parse(readFileSync(manifestPath, 'utf8')).storeBytes, generatedSeconds: 0 };
  const t0 = performance.now();
  log?.(`generating ${p.series} series × ${p.rowsPerSeries.toLocaleString('en-US')} rows (${p.layout}) in ${storeDir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const batches = (async function* () {
    for (const c of chunks(p)) yield { batch: c };
  })();
  await materializeDataset(storeDir, seriesSchema(p.features), batches, { rowGroupSize: p.rowGroupSize });
  const storeBytes = dirBytes(storeDir);
  writeFileSync(manifestPath, JSON.stringify({ params: p, storeBytes }, null, 2));
  return { storeDir, storeBytes, generatedSeconds: (performance.now() - t0) / 1000 };
}
