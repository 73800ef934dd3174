import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../../src/errors.js';
import { openStore } from '../../src/index.js';
import { LOCK_FILE, METADATA_FILE, TEMP_PREFIX, isDataFileName } from '../../src/materialize/store-layout.js';
import { duck, lit } from '../duckdb.js';
import { CRASH_T0, HOUR } from './fixtures/crash-rows.js';

/** What a crash left in a store folder, before anyone repairs it. */
export interface CrashDebris {
  /** `.tfpl-tmp-*` files (parts or summaries being written). */
  temps: string[];
  /** Data files on disk that `_metadata` does not list (renamed, not committed; or replaced, not yet deleted). */
  orphans: string[];
  lockLeft: boolean;
}

/** Names the phase a kill interrupted, from the debris it left. */
export function phaseOf(d: CrashDebris): string {
  if (d.temps.some((f) => f.startsWith(`${TEMP_PREFIX}part-`))) return 'writing parts';
  if (d.temps.some((f) => f.startsWith(`${TEMP_PREFIX}_`))) return 'writing summary files';
  if (d.orphans.length > 0) return 'parts renamed, not committed (or replaced, not deleted)';
  if (d.lockLeft) return 'holding the lock (before the first part, or after the commit)';
  return 'between calls';
}

export async function debrisOf(dir: string): Promise<CrashDebris> {
  if (!existsSync(dir)) return { temps: [], orphans: [], lockLeft: false };
  const names = readdirSync(dir);
  let listed = new Set<string>();
  if (names.includes(METADATA_FILE)) listed = new Set((await openStore(dir)).files.map((f) => f.path));
  return {
    temps: names.filter((n) => n.startsWith(TEMP_PREFIX)),
    orphans: names.filter((n) => isDataFileName(n) && !listed.has(n)),
    lockLeft: names.includes(LOCK_FILE),
  };
}

/**
 * Checks a crash-harness store the way a reader sees it and returns its committed row count (0 when nothing
 * was ever committed): `openStore` succeeds; every listed file is a data file (no temporary name); the row
 * groups in `_metadata` are exactly the row groups in each listed part's own footer (read by DuckDB); and
 * DuckDB reading the listed parts finds exactly rows 0..n-1, each once, with n = `openStore`'s numRows.
 */
export async function verifyCrashStore(dir: string): Promise<number> {
  let store;
  try {
    store = await openStore(dir);
  } catch (err) {
    // Nothing committed yet: the folder is missing or holds no summary and no data file.
    expect(err, `openStore(${dir}) failed: ${(err as Error).message}`).to.be.instanceOf(StoreError);
    expect((err as Error).message).to.match(/does not exist|holds no Parquet data/);
    return 0;
  }
  const files = store.files.map((f) => f.path);
  for (const f of files) expect(isDataFileName(f), `listed file ${f}`).to.equal(true);
  if (files.length === 0) {
    expect(store.numRows).to.equal(0);
    return 0;
  }
  const paths = files.map((f) => lit(join(dir, f))).join(', ');
  const footers = await duck(`SELECT file_name, row_group_id, any_value(row_group_num_rows) AS n FROM parquet_metadata([${paths}]) GROUP BY ALL ORDER BY file_name, row_group_id`);
  const fromFooters = footers.map((r) => `${String(r.file_name).slice(dir.length + 1)}#${r.row_group_id}:${r.n}`);
  const fromSummary = store.rowGroups.map((rg) => `${rg.file}#${rg.index}:${rg.numRows}`).sort();
  expect(fromSummary, 'row groups in _metadata vs the parts\' footers').to.deep.equal(fromFooters.sort());
  const [agg] = await duck(
    `SELECT count(*) AS n, count(DISTINCT market_cap) AS d, coalesce(min(market_cap), 0) AS lo, coalesce(max(market_cap), -1) AS hi, ` +
      `count(*) FILTER (WHERE epoch_ms(timestamp) <> ${CRASH_T0} + market_cap * ${HOUR}) AS bad FROM read_parquet([${paths}])`,
  );
  const n = store.numRows;
  expect({ rows: Number(agg!.n), distinct: Number(agg!.d), first: Number(agg!.lo), last: Number(agg!.hi), badTimestamps: Number(agg!.bad) }, `rows read by DuckDB from the parts listed in ${dir}/_metadata`).to.deep.equal({
    rows: n,
    distinct: n,
    first: 0,
    last: n - 1,
    badTimestamps: 0,
  });
  return n;
}

/** After a successful write: no temporary file, no unlisted data file and no lock remain. */
export async function expectCleanStore(dir: string): Promise<void> {
  const d = await debrisOf(dir);
  expect(d, `debris in ${dir} after the next write`).to.deep.equal({ temps: [], orphans: [], lockLeft: false });
}
