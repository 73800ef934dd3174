// The browser case's page: the sdk case (bench/cases/sdk.ts) run by the browser build in headless Chromium,
// over the store the bench serves by HTTP. Bundled by bench/run.ts; parameters come in the URL's hash.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, initBackend, type MakeTfDatasetOptions, makeTfDataset } from '../src/portable.js';
import { consume, now } from './measure.js';

interface BenchPageParams {
  storeUrl: string;
  options: MakeTfDatasetOptions;
  warmupWindows: number;
  backend: BackendName;
}

const state: Record<string, unknown> = { state: 'running' };
(globalThis as { __tfplBench?: unknown }).__tfplBench = state;

async function run(): Promise<void> {
  const p = JSON.parse(decodeURIComponent(location.hash.slice(1))) as BenchPageParams;
  setWasmPaths(new URL('wasm/', location.href).href);
  state.backend = (await initBackend(p.backend)).name;
  await consume(await makeTfDataset(p.storeUrl, p.options), tf, { maxWindows: p.warmupWindows });
  const t0 = now();
  const ds = await makeTfDataset(p.storeUrl, p.options);
  const openSeconds = now() - t0;
  const r = await consume(ds, tf);
  Object.assign(state, { windows: r.windows, seconds: now() - t0, openSeconds, firstBatchSeconds: openSeconds + r.firstBatchSeconds, workers: navigator.hardwareConcurrency, state: 'done' });
}

run().catch((err: unknown) => Object.assign(state, { state: 'failed', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
