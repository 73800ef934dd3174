// One case in its own process (so its peak RSS is its own): node --import tsx bench/case-runner.ts <case> <json-params>
// Prints exactly one `BENCH_RESULT <json>` line on stdout; everything else goes to stderr.
import { initBackend } from '../src/index.js';
import { CASE_NAMES, type CaseMeasure, type CaseName, type CaseParams, type CaseResult, peakRssBytes, RESULT_PREFIX } from './measure.js';

/** Every case, loaded on demand: one process runs one case, and loads only what that case needs. */
const CASES: Record<CaseName, () => Promise<{ default: (p: CaseParams) => Promise<CaseMeasure> }>> = {
  sdk: () => import('./cases/sdk.js'),
  browser: () => import('./cases/browser.js'),
  duckdb: () => import('./cases/duckdb.js'),
  'duckdb-sdk': () => import('./cases/duckdb-sdk.js'),
  'csv-parsed': () => import('./cases/csv-parsed.js'),
  csv: () => import('./cases/csv.js'),
  generator: () => import('./cases/generator.js'),
  decode: () => import('./cases/decode.js'),
  memcpy: () => import('./cases/memcpy.js'),
  assembly: () => import('./cases/assembly.js'),
  fit: () => import('./cases/fit.js'),
  materialize: () => import('./cases/materialize.js'),
  'duckdb-copy': () => import('./cases/duckdb-copy.js'),
  idle: () => import('./cases/idle.js'),
  remote: () => import('./cases/remote.js'),
  'big-row-group': () => import('./cases/big-row-group.js'),
};

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2);
  if (!(CASE_NAMES as readonly string[]).includes(name ?? '') || json === undefined) {
    process.stderr.write(`usage: case-runner.ts <${CASE_NAMES.join('|')}> <json-params>; received ${JSON.stringify(process.argv.slice(2))}\n`);
    process.exit(2);
  }
  const p = JSON.parse(json) as CaseParams;
  // The LSTM example trains on wasm whatever the other cases use.
  const backend = await initBackend(name === 'fit' ? 'wasm' : p.backend);
  const run = (await CASES[name as CaseName]()).default;
  const m = await run(p);
  const result: CaseResult = { case: name!, backend: backend.name, ...m, peakRssBytes: peakRssBytes() };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0));
}

await main();
