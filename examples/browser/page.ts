/**
 * The demo page: an LSTM trained in the browser straight from a remote store. `makeTfDataset` reads the
 * store by HTTP range requests (only the timestamp and price column chunks), decodes in Web Workers and
 * feeds `model.fitDataset`; the forecasts are scored against persistence on the test range. Everything the
 * page shows is also in `window.__tfplDemo`, which the browser test reads.
 *
 * URL parameters: store (default 'store/'), backend (webgl | wasm | cpu; default: the fastest the browser
 * has), epochs (3), units (32), window (48), batch (64), seed (42), workers (decode Web Workers; default the
 * SDK's: none for a store this small, cores − 1 otherwise).
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, initBackend, type MakeTfDatasetOptions, makeTfDataset, openStore } from '../../src/portable.js';
import { evaluateForecaster, MARKET_SERIES_COLUMNS, trainForecaster } from '../../src/forecasting/portable.js';

/** What the page did, for people (on screen) and for the browser test (this object). */
interface DemoState {
  state: 'running' | 'done' | 'failed';
  error?: string;
  storeUrl: string;
  backend?: string;
  storeBytes?: number;
  bytesFetched?: number;
  requests?: number;
  /** The windows and first batch of the train part, with the options that made them, to compare with Node. */
  check?: { options: MakeTfDatasetOptions; windows: Record<'train' | 'validation' | 'test', number>; firstBatch: { shape: number[]; xs: number[]; ys: number[] } };
  read?: { windows: number; seconds: number; windowsPerSecond: number };
  training?: { epochs: number; windowsPerSecond: number; loss: number[]; valLoss: number[] };
  metrics?: Record<string, { mae: number; rmse: number }>;
  series?: { ids: (string | number)[]; testWindows: number; metrics: Record<string, { mae: number; rmse: number }> }[];
}

const params = new URLSearchParams(location.search);
const num = (name: string, fallback: number) => (params.has(name) ? Number(params.get(name)) : fallback);
const demo: DemoState = { state: 'running', storeUrl: new URL(params.get('store') ?? 'store/', document.baseURI).href };
(globalThis as { __tfplDemo?: DemoState }).__tfplDemo = demo;

const $ = (id: string) => document.getElementById(id)!;
const log = (s: string) => ($('log').textContent += `${s}\n`);
const fmtBytes = (n: number) => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
const fmtRate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0));

/** A polyline chart of `lines` (each an array of y values, x = index) in an SVG of the page. */
function drawLines(svg: SVGSVGElement, lines: { values: ArrayLike<number>; color: string; dash?: string; label: string }[]): void {
  const box = svg.viewBox.baseVal;
  const all = lines.flatMap((l) => Array.from(l.values).filter(Number.isFinite));
  if (all.length === 0) return;
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  const n = Math.max(...lines.map((l) => l.values.length));
  const x = (i: number) => 40 + (i / Math.max(1, n - 1)) * (box.width - 50);
  const y = (v: number) => box.height - 20 - ((v - lo) / (hi - lo || 1)) * (box.height - 40);
  const paths = lines.map((l, k) => {
    const pts = Array.from(l.values, (v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
    return `<polyline fill="none" stroke="${l.color}" stroke-width="1.4" ${l.dash ? `stroke-dasharray="${l.dash}"` : ''} points="${pts}"/><text x="${50 + k * 170}" y="14" font-size="12" fill="${l.color}">— ${l.label}</text>`;
  });
  svg.innerHTML = `<text x="2" y="${y(hi) + 4}" font-size="11" fill="#666">${hi.toPrecision(4)}</text><text x="2" y="${y(lo)}" font-size="11" fill="#666">${lo.toPrecision(4)}</text>${paths.join('')}`;
}

async function run(): Promise<void> {
  // The WASM backend fetches its .wasm files: the demo server serves them here.
  setWasmPaths(new URL('vendor/tfjs-backend-wasm/', document.baseURI).href);
  const backend = await initBackend((params.get('backend') as BackendName | null) ?? undefined);
  demo.backend = backend.name;
  $('backend').textContent = backend.name;

  const store = await openStore(demo.storeUrl);
  const stats = store.location.stats!;
  const market = MARKET_SERIES_COLUMNS.every((c) => store.fields.some((f) => f.name === c));
  const priceColumn = market ? 'price' : 'price_usd';
  const seriesColumns = market ? [...MARKET_SERIES_COLUMNS] : [];
  demo.storeBytes = store.byteLength;
  $('storeBytes').textContent = fmtBytes(store.byteLength);
  $('source').textContent = `${store.url}: ${store.numRows.toLocaleString()} rows in ${store.files.length} files, ${store.rowGroups.length} row groups, columns ${store.fields.map((f) => f.name).join(', ')}`;
  const showBytes = () => {
    demo.bytesFetched = stats.bytesFetched;
    demo.requests = stats.requests;
    $('bytes').textContent = `${fmtBytes(stats.bytesFetched)} in ${stats.requests} requests`;
  };
  showBytes();

  const windowSize = num('window', 48);
  const batchSize = num('batch', 64);
  const epochs = num('epochs', 3);
  const readOptions = params.has('workers') ? { workers: num('workers', 1) } : {};
  // The options trainForecaster gives makeTfDataset for its train part, unshuffled: the windows Node must match.
  const options: MakeTfDatasetOptions = {
    features: [priceColumn],
    targets: [priceColumn],
    windowSize,
    logReturns: [priceColumn],
    timestampColumn: 'timestamp',
    ...(market ? { seriesColumns } : {}),
    batchSize,
    split: { train: 0.7, validation: 0.15, test: 0.15 },
    subset: 'train',
    normalize: 'zscore',
    ...readOptions,
  };
  const train = await makeTfDataset(store, options);
  const windows = { train: train.windowsPerEpoch, validation: 0, test: 0 };
  const { normalize: _, ...scaled } = options; // validation and test take the train part's statistics
  for (const subset of ['validation', 'test'] as const) windows[subset] = (await makeTfDataset(store, { ...scaled, subset, normalization: train.normalization })).windowsPerEpoch;
  // Reading only: one pass over the train windows without a model, as fast as the data path goes.
  let read = 0;
  let first = { shape: [] as number[], xs: [] as number[], ys: [] as number[] };
  const t0 = performance.now();
  await train.forEachAsync((e) => {
    const { xs, ys } = e as { xs: tf.Tensor; ys: tf.Tensor };
    if (read === 0) first = { shape: xs.shape, xs: Array.from(xs.dataSync()), ys: Array.from(ys.dataSync()) };
    read += xs.shape[0]!;
    tf.dispose([xs, ys]);
  });
  const seconds = (performance.now() - t0) / 1000;
  demo.check = { options, windows, firstBatch: first };
  demo.read = { windows: read, seconds, windowsPerSecond: read / seconds };
  $('wps').textContent = fmtRate(read / seconds);
  log(`windows: train ${windows.train}, validation ${windows.validation}, test ${windows.test}; one pass over the train windows: ${seconds.toFixed(2)} s`);
  showBytes();

  const losses: number[] = [];
  let trained = 0;
  let tTrain = performance.now();
  let batchesPerEpoch = 1;
  const forecaster = await trainForecaster(store, { priceColumn, seriesColumns, windowSize, batchSize, epochs, units: num('units', 32), seed: num('seed', 42), ...readOptions }, (p) => {
    if (p.kind === 'start') {
      batchesPerEpoch = p.batchesPerEpoch;
      tTrain = performance.now();
    } else if (p.kind === 'batch') {
      losses.push(p.loss);
      trained += batchSize;
      ($('progress') as HTMLProgressElement).value = (p.epoch * batchesPerEpoch + p.batch + 1) / (epochs * batchesPerEpoch);
      $('twps').textContent = fmtRate(trained / ((performance.now() - tTrain) / 1000));
      if (p.batch % 5 === 0) drawLines($('loss') as unknown as SVGSVGElement, [{ values: losses, color: '#1f77b4', label: 'loss' }]);
      showBytes();
    } else log(`epoch ${p.epoch + 1}/${epochs}: loss ${p.loss.toFixed(4)}, validation loss ${p.valLoss.toFixed(4)}`);
  });
  drawLines($('loss') as unknown as SVGSVGElement, [{ values: losses, color: '#1f77b4', label: 'loss' }]);
  demo.training = { epochs, windowsPerSecond: trained / ((performance.now() - tTrain) / 1000), ...forecaster.history };

  const ev = await evaluateForecaster(forecaster, store, readOptions);
  forecaster.model.dispose();
  const pick = (m: Record<string, { mae: number; rmse: number }>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { mae: v.mae, rmse: v.rmse }]));
  demo.metrics = pick(ev.metrics);
  demo.series = ev.series.map((s) => ({ ids: s.ids.map((v) => (typeof v === 'bigint' ? Number(v) : v)) as (string | number)[], testWindows: s.actual.length, metrics: pick(s.metrics) }));
  const rows = ev.series.map((s) => `<tr><td>${s.ids.join('/') || priceColumn}</td><td>${s.actual.length}</td>${(['lstm', 'persistence', 'movingAverage'] as const).map((f) => `<td>${s.metrics[f].mae.toPrecision(5)}</td>`).join('')}<td>${s.best.mae}</td></tr>`);
  $('metrics').innerHTML = `<table><tr><th>series</th><th>test windows</th><th>LSTM MAE</th><th>persistence MAE</th><th>moving average MAE</th><th>best</th></tr>${rows.join('')}</table>`;
  const s0 = ev.series[0]!;
  const tail = (a: Float64Array) => a.subarray(Math.max(0, a.length - 240));
  drawLines($('forecast') as unknown as SVGSVGElement, [
    { values: tail(s0.actual), color: '#222', label: `actual ${s0.ids.join('/')}` },
    { values: tail(s0.forecasts.lstm), color: '#1f77b4', label: 'LSTM' },
    { values: tail(s0.forecasts.persistence), color: '#ff7f0e', dash: '4 3', label: 'persistence' },
  ]);
  showBytes();
  log(`done: ${fmtBytes(stats.bytesFetched)} fetched from a ${fmtBytes(store.byteLength)} store in ${stats.requests} requests, over every pass (the counts, the reading pass, each epoch's training and validation, the test); each pass reads only the ${[...seriesColumns, 'timestamp', priceColumn].join(', ')} column chunks`);
  demo.state = 'done';
}

run().catch((err: unknown) => {
  demo.state = 'failed';
  demo.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const el = document.createElement('p');
  el.className = 'error';
  el.textContent = demo.error;
  document.body.prepend(el);
});
