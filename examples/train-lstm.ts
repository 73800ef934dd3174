/**
 * The worked example: data → schema-checked Parquet store → analytics and charts → LSTM trained with
 * makeTfDataset + model.fitDataset → scored against persistence and a moving average on a held-out test
 * range → model and normalisation statistics saved → reloaded to forecast the next hour.
 *
 *   npx tsx examples/train-lstm.ts                          # SYNTHETIC data (offline, deterministic)
 *   npx tsx examples/train-lstm.ts --csv prices.csv         # a real CSV: CoinGecko export, Coinbase or CryptoDataDownload candles
 *   COINGECKO_API_KEY=... npx tsx examples/train-lstm.ts --source coingecko --hours 4000
 *   npx tsx examples/train-lstm.ts --store out/my-store     # reuse an existing store
 *
 * `npm start` runs this with its defaults (examples/main.ts).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
// The example uses the package's public entries only (in an installed project: 'tfjs-parquet-loader',
// 'tfjs-parquet-loader/ingest' and 'tfjs-parquet-loader/forecasting').
import {
  analyzeStore,
  BitcoinSchema,
  evaluateForecaster,
  forecastChartSpec,
  forecastNext,
  formatComparison,
  importPriceCsv,
  loadForecaster,
  priceChartSpec,
  saveForecaster,
  trainForecaster,
  trainingProgress,
  volatilityChartSpec,
  writeChart,
} from '../src/forecasting/index.js';
import { type BackendName, importCsv, initBackend, openStore } from '../src/index.js';
import { backfill, coinGeckoClientFromEnv, SyntheticMarketChart } from '../src/ingest/index.js';

const HOUR = 3_600_000;

const OPTIONS = {
  source: { type: 'string', default: 'synthetic' },
  csv: { type: 'string' },
  store: { type: 'string' },
  hours: { type: 'string', default: String(365 * 24) },
  out: { type: 'string', default: 'out' },
  seed: { type: 'string', default: '42' },
  epochs: { type: 'string', default: '5' },
  window: { type: 'string', default: '48' },
  units: { type: 'string', default: '32' },
  backend: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: npx tsx examples/train-lstm.ts [options]     (npm start -- [options])

  --source synthetic|coingecko  data source (default synthetic: deterministic, offline, NOT real prices)
  --csv <file>                  a real price CSV instead (CoinGecko export, Coinbase or CryptoDataDownload candles)
  --store <dir>                 reuse an existing store instead of ingesting
  --hours <n>                   hours of history to ingest (default 8760 = one year)
  --out <dir>                   output folder (default ./out)
  --epochs <n>  --window <n>  --units <n>  --seed <n>   model and training (defaults 5, 48, 32, 42)
  --backend tensorflow|wasm|cpu (default: fastest available)

Environment: COINGECKO_API_KEY (and COINGECKO_PLAN=pro) for --source coingecko.`;

/** What a run produced, for tests and callers. */
export interface TrainLstmResult {
  label: string;
  storeDir: string;
  backend: string;
  history: { loss: number[]; valLoss: number[] };
  metrics: Record<'lstm' | 'persistence' | 'movingAverage', { mae: number; rmse: number }>;
  plots: string[];
  modelDir: string;
  nextPrice: number;
  seconds: number;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer >= 1; received ${JSON.stringify(v)}`);
  return n;
}

/** Builds (or reuses) the store and says what is in it. */
async function prepareStore(values: { source: string; csv?: string; store?: string; hours: string; out: string; seed: string }, env: NodeJS.ProcessEnv, say: (s: string) => void): Promise<{ storeDir: string; label: string }> {
  if (values.store) {
    if (!existsSync(values.store)) throw new Error(`--store ${values.store} does not exist`);
    return { storeDir: values.store, label: `store ${values.store}` };
  }
  if (values.csv) {
    const storeDir = join(values.out, `${basename(values.csv).replace(/\.csv$/i, '')}-store`);
    const r = await importPriceCsv(values.csv, storeDir);
    say(`ingest:  ${values.csv} → ${storeDir}: ${r.rows} rows, layout ${r.layout}, ${r.schema}`);
    for (const note of r.notes) say(`         note: ${note}`);
    return { storeDir, label: `real data: ${basename(values.csv)}` };
  }
  const hours = positiveInt('hours', values.hours);
  if (values.source === 'coingecko') {
    if (!env.COINGECKO_API_KEY) throw new Error('--source coingecko needs COINGECKO_API_KEY in the environment (a free demo key works for the past 365 days)');
    const csvPath = join(values.out, 'coingecko-btc-hourly.csv');
    const storeDir = join(values.out, 'coingecko-btc-store');
    rmSync(csvPath, { force: true });
    const to = Math.floor(Date.now() / HOUR) * HOUR;
    const client = coinGeckoClientFromEnv(env);
    const r = await backfill({ client, csvPath, from: to - (hours - 1) * HOUR, to, onProgress: (p) => say(`ingest:  chunk ${p.chunk}/${p.chunks}, ${p.rowsWritten} rows`) });
    await importCsv(csvPath, storeDir, BitcoinSchema, { mode: 'overwrite', rowGroupSize: 10_000 });
    say(`ingest:  ${r.rowsWritten} rows from CoinGecko → ${storeDir}. Data provided by CoinGecko.`);
    return { storeDir, label: 'CoinGecko bitcoin/usd, live. Data provided by CoinGecko' };
  }
  if (values.source !== 'synthetic') throw new Error(`--source must be synthetic or coingecko; received ${JSON.stringify(values.source)}`);
  const market = new SyntheticMarketChart({ seed: positiveInt('seed', values.seed) });
  const label = `SYNTHETIC DATA (seed ${market.seed}), not real market prices`;
  const csvPath = join(values.out, 'synthetic-btc-hourly.csv');
  const storeDir = join(values.out, 'synthetic-btc-store');
  rmSync(csvPath, { force: true });
  say(`[${label}] ${hours} hourly Bitcoin-like prices through the CoinGecko backfill path (SyntheticMarketChart)`);
  await backfill({ client: market, csvPath, from: market.start, to: market.start + (hours - 1) * HOUR, log: () => {} });
  const r = await importCsv(csvPath, storeDir, BitcoinSchema, { mode: 'overwrite', rowGroupSize: 10_000 });
  say(`ingest:  ${csvPath} → ${storeDir}: ${r.numRows} rows, ${r.rowGroups} row groups (BitcoinSchema)`);
  return { storeDir, label };
}

/**
 * Runs the whole example; `argv` as on the command line. Output goes to `io.stdout`.
 */
export async function runTrainLstm(argv: string[], io: { stdout: NodeJS.WritableStream & { isTTY?: boolean }; stderr: NodeJS.WritableStream & { isTTY?: boolean }; env: NodeJS.ProcessEnv } = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<TrainLstmResult | undefined> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return undefined;
  }
  const say = (s: string) => io.stdout.write(`${s}\n`);
  const t0 = performance.now();
  mkdirSync(values.out, { recursive: true });
  const { storeDir, label } = await prepareStore(values, io.env, say);

  const backend = await initBackend(values.backend as BackendName | undefined);
  say(`backend: ${backend.name}${backend.skipped.length ? ` (not available: ${backend.skipped.map((s) => s.name).join(', ')})` : ''}`);

  // One store description serves the analysis, training, evaluation and the forecast: footers are read once.
  const store = await openStore(storeDir);
  const analysis = await analyzeStore(store, { sma: [24, 168], volatilityWindow: 24 });
  const s = analysis.summary;
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  say(`series:  ${s.rows} rows ${s.from} → ${s.to}; price ${s.firstPrice.toFixed(0)} → ${s.lastPrice.toFixed(0)} USD (${pct(s.totalReturn)}); volatility ${pct(s.volatility)} annualised; max drawdown ${pct(s.maxDrawdown)}`);
  // Name the time step for the messages: hourly data gives "next-hour forecasts", daily data "next-day".
  const ppy = analysis.periodsPerYear ?? NaN;
  const step = Math.abs(ppy / 8766 - 1) < 0.05 ? { noun: 'hour', adj: 'hourly' } : Math.abs(ppy / 365.25 - 1) < 0.05 ? { noun: 'day', adj: 'daily' } : { noun: 'step', adj: 'per-step' };
  const plotDir = join(values.out, 'plots');
  const plots = [await writeChart(priceChartSpec(analysis, { label }), plotDir, 'price'), await writeChart(volatilityChartSpec(analysis, { label }), plotDir, 'volatility')];

  const progress = await trainingProgress(io.stdout);
  const trained = await trainForecaster(store, { epochs: positiveInt('epochs', values.epochs), windowSize: positiveInt('window', values.window), units: positiveInt('units', values.units), seed: positiveInt('seed', values.seed) }, (p) => progress.update(p)).finally(() => progress.stop());
  const h = trained.history;
  say(`trained: ${h.loss.length} epochs, loss ${h.loss[0]!.toFixed(4)} → ${h.loss[h.loss.length - 1]!.toFixed(4)}, val_loss ${h.valLoss[0]!.toFixed(4)} → ${h.valLoss[h.valLoss.length - 1]!.toFixed(4)} (MSE of z-scored ${step.adj} log returns: always predicting the training mean scores 1.0 on the training range)`);
  const ev = await evaluateForecaster(trained, store);
  say('');
  say(`Test range (newest 15 %, never seen in training): ${ev.actual.length} next-${step.noun} forecasts, ${new Date(ev.timestamps[0]!).toISOString()} → ${new Date(ev.timestamps[ev.timestamps.length - 1]!).toISOString()}`);
  say(`[${label}]`);
  say(formatComparison(ev));
  plots.push(await writeChart(forecastChartSpec(ev, { label }), plotDir, 'forecast'));

  const modelDir = join(values.out, 'model');
  await saveForecaster(modelDir, trained, { label, store: storeDir, history: trained.history, metrics: ev.metrics });
  trained.model.dispose();
  // Reload from disk, as `tfpl predict` does, and forecast the hour after the newest row.
  const loaded = await loadForecaster(modelDir);
  const next = await forecastNext(loaded, store);
  loaded.model.dispose();
  const f = next.forecasts[0]!;
  say('');
  say(`model:   ${modelDir} (model.json, weights.bin, forecaster.json with the normalisation statistics)`);
  say(`predict: after ${new Date(next.lastTimestamp).toISOString()} (${next.lastPrice.toFixed(2)}) the model forecasts ${f.price.toFixed(2)} for ${new Date(f.timestamp).toISOString()}  [${label}]`);
  say(`         same from the CLI: npx tfpl predict ${modelDir} ${storeDir}`);
  say('plots:');
  for (const p of plots) say(`         ${p.png}  (and .svg)`);
  const seconds = (performance.now() - t0) / 1000;
  say(`done in ${seconds.toFixed(1)} s`);
  return { label, storeDir, backend: backend.name, history: trained.history, metrics: ev.metrics, plots: plots.flatMap((p) => [p.svg, p.png]), modelDir, nextPrice: f.price, seconds };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await runTrainLstm(process.argv.slice(2));
  } catch (err) {
    console.error(`train-lstm: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
