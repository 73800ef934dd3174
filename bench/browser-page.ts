// The browser case's page: the sdk case (bench/cases/sdk.ts) run by the browser build in headless Chromium,
// over the store the bench serves by HTTP. Bundled by bench/run.ts; parameters come in the URL's hash.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, initBackend, type MakeTfDatasetOptions, makeTfDataset } from '../src/portable.js';
import { consume, now } from './measure.js';

interface BenchPageParams {
  storeUrl: string;
  /** The store's part files and sizes, for the fetch-only pass. */
  files: [string, number][];
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
  const seconds = now() - t0;
  Object.assign(state, { windows: r.windows, seconds, openSeconds, firstBatchSeconds: openSeconds + r.firstBatchSeconds, fetchMBps: await fetchMBps(p.storeUrl, p.files), state: 'done' });
}

/**
 * What the page's `fetch` alone takes in from the store's server: every part file in 1 MiB ranges, one after
 * another, after a warm-up on the first file (the reader asks for one row group's chunks at a time, ~0.4 MiB
 * each here). The bench case measures
 * Node's `fetch` the same way, so the two intakes are compared beside the windows/s.
 */
export async function fetchMBps(storeUrl: string, files: [string, number][]): Promise<number> {
  const pass = async (list: [string, number][]) => {
    let bytes = 0;
    for (const [file, size] of list) {
      for (let start = 0; start < size; start += 2 ** 20) {
        const res = await fetch(new URL(file, storeUrl), { headers: { range: `bytes=${start}-${Math.min(size, start + 2 ** 20) - 1}` } });
        bytes += (await res.arrayBuffer()).byteLength;
      }
    }
    return bytes;
  };
  await pass(files.slice(0, 1)); // warm-up: connections, JIT
  const t0 = now();
  const bytes = await pass(files);
  return bytes / (now() - t0) / 1e6;
}

run().catch((err: unknown) => Object.assign(state, { state: 'failed', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
