// One case in its own process (so its peak RSS is its own): node --import tsx bench/case-runner.ts <case> <json-params>
// Prints exactly one `BENCH_RESULT <json>` line on stdout; everything else goes to stderr.
import { initBackend } from '../src/windowing/backend.js';
import { CASE_NAMES, type CaseMeasure, type CaseParams, type CaseResult, peakRssBytes, RESULT_PREFIX } from './measure.js';

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2);
  if (!(CASE_NAMES as readonly string[]).includes(name ?? '') || json === undefined) {
    process.stderr.write(`usage: case-runner.ts <${CASE_NAMES.join('|')}> <json-params>; received ${JSON.stringify(process.argv.slice(2))}\n`);
    process.exit(2);
  }
  const p = JSON.parse(json) as CaseParams;
  // The LSTM example trains on wasm whatever the other cases use.
  const backend = await initBackend(name === 'fit' ? 'wasm' : p.backend);
  const run = (await import(`./cases/${name}.js`)).default as (p: CaseParams) => Promise<CaseMeasure>;
  const m = await run(p);
  const result: CaseResult = { case: name!, backend: backend.name, ...m, peakRssBytes: peakRssBytes() };
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0));
}

await main();
