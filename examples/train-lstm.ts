/**
 * The worked example: several coins → one schema-checked Parquet store (coin, vs, timestamp, price, ...)
 * → analytics and charts per coin → ONE global LSTM trained across every coin with makeTfDataset
 * (seriesColumns: no window crosses two coins, each coin scaled by its own statistics) +
 * model.fitDataset → scored per coin against persistence and a moving average on that coin's held-out
 * test range → model and statistics saved → reloaded to forecast each coin's next hour.
 *
 *   npx tsx examples/train-lstm.ts                          # SYNTHETIC market of 3 coins (offline, deterministic)
 *   npx tsx examples/train-lstm.ts --coins bitcoin,solana   # fewer coins
 *   npx tsx examples/train-lstm.ts --csv prices.csv         # one real series: CoinGecko export, Coinbase or CryptoDataDownload candles
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
  evaluateForecaster,
  forecastChartSpec,
  forecastNext,
  type ForecasterName,
  formatComparison,
  importPriceCsv,
  loadForecaster,
  MARKET_SERIES_COLUMNS,
  MarketSchema,
  priceChartSpec,
  saveForecaster,
  trainForecaster,
  trainingProgress,
  volatilityChartSpec,
  writeChart,
} from '../src/forecasting/index.js';
import { type BackendName, initBackend, makeBatchReader, openStore, type Store } from '../src/index.js';
import { backfill, coinGeckoClientFromEnv, type MarketChartSource, storeRowSink, SyntheticMarketChart } from '../src/ingest/index.js';

const HOUR = 3_600_000;

const OPTIONS = {
  source: { type: 'string', default: 'synthetic' },
  coins: { type: 'string', default: 'bitcoin,ethereum,solana' },
  vs: { type: 'string', default: 'usd' },
  csv: { type: 'string' },
  store: { type: 'string' },
  hours: { type: 'string', default: String(182.5 * 24) },
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
  --coins <a,b,...>             coins (CoinGecko ids) in one store, one global model (default bitcoin,ethereum,solana)
  --vs <currency>               quote currency (default usd)
  --csv <file>                  one real price series instead (CoinGecko export, Coinbase or CryptoDataDownload candles)
  --store <dir>                 reuse an existing store instead of ingesting (a MarketSchema store or one series)
  --hours <n>                   hours of history per coin (default 4380 = half a year)
  --out <dir>                   output folder (default ./out)
  --epochs <n>  --window <n>  --units <n>  --seed <n>   model and training (defaults 5, 48, 32, 42)
  --backend tensorflow|wasm|cpu (default: fastest available)

Environment: COINGECKO_API_KEY (and COINGECKO_PLAN=pro) for --source coingecko.`;

type Metrics = Record<ForecasterName, { mae: number; rmse: number }>;

/** One series' outcome: its name, its test-range metrics, who won, and the next forecast. */
export interface SeriesOutcome {
  /** e.g. "bitcoin/usd"; "price" for a store of one series. */
  name: string;
  testWindows: number;
  metrics: Metrics;
  best: { mae: ForecasterName; rmse: ForecasterName };
  nextPrice: number;
}

/** What a run produced, for tests and callers. */
export interface TrainLstmResult {
  label: string;
  storeDir: string;
  backend: string;
  history: { loss: number[]; valLoss: number[] };
  /** Per series (per coin), in store order. */
  series: SeriesOutcome[];
  plots: string[];
  modelDir: string;
  seconds: number;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer >= 1; received ${JSON.stringify(v)}`);
  return n;
}

/** Where the prices are and, for a store of several series, which columns tell them apart. */
interface PreparedStore {
  storeDir: string;
  label: string;
  market: boolean;
}

/** Backfills every coin into one MarketSchema store, coin after coin, through the same path as `tfpl backfill --ids`. */
export async function backfillMarket(client: MarketChartSource, storeDir: string, coins: string[], vs: string, from: number, to: number, say: (s: string) => void): Promise<void> {
  rmSync(storeDir, { recursive: true, force: true });
  for (const coin of coins) {
    const sink = await storeRowSink(storeDir, MarketSchema, { series: { coin, vs }, priceColumn: 'price', rowGroupSize: 10_000 });
    const r = await backfill({ client, sink, id: coin, vsCurrency: vs, from, to, log: () => {} });
    say(`ingest:  ${coin}/${vs}: ${r.rowsWritten} rows → ${storeDir}`);
  }
}

/** Builds (or reuses) the store and says what is in it. */
async function prepareStore(values: { source: string; coins: string; vs: string; csv?: string; store?: string; hours: string; out: string; seed: string }, env: NodeJS.ProcessEnv, say: (s: string) => void): Promise<PreparedStore> {
  if (values.store) {
    if (!existsSync(values.store)) throw new Error(`--store ${values.store} does not exist`);
    const fields = (await openStore(values.store)).fields.map((f) => f.name);
    return { storeDir: values.store, label: `store ${values.store}`, market: MARKET_SERIES_COLUMNS.every((c) => fields.includes(c)) };
  }
  if (values.csv) {
    const storeDir = join(values.out, `${basename(values.csv).replace(/\.csv$/i, '')}-store`);
    const r = await importPriceCsv(values.csv, storeDir);
    say(`ingest:  ${values.csv} → ${storeDir}: ${r.rows} rows, layout ${r.layout}, ${r.schema}`);
    for (const note of r.notes) say(`         note: ${note}`);
    return { storeDir, label: `real data: ${basename(values.csv)}`, market: false };
  }
  const hours = positiveInt('hours', values.hours);
  const coins = values.coins.split(',').map((c) => c.trim());
  if (coins.some((c) => c === '') || new Set(coins).size !== coins.length) throw new Error(`--coins must be distinct comma-separated coin ids; received ${JSON.stringify(values.coins)}`);
  if (values.source === 'coingecko') {
    if (!env.COINGECKO_API_KEY) throw new Error('--source coingecko needs COINGECKO_API_KEY in the environment (a free demo key works for the past 365 days)');
    const storeDir = join(values.out, 'coingecko-market-store');
    const to = Math.floor(Date.now() / HOUR) * HOUR;
    await backfillMarket(coinGeckoClientFromEnv(env), storeDir, coins, values.vs, to - (hours - 1) * HOUR, to, say);
    return { storeDir, label: `CoinGecko ${coins.join(', ')} in ${values.vs}, live. Data provided by CoinGecko`, market: true };
  }
  if (values.source !== 'synthetic') throw new Error(`--source must be synthetic or coingecko; received ${JSON.stringify(values.source)}`);
  const market = new SyntheticMarketChart({ seed: positiveInt('seed', values.seed) });
  const unknown = coins.filter((c) => !(c in market.coins));
  if (unknown.length) throw new Error(`--coins: the synthetic market has ${Object.keys(market.coins).join(', ')}; received ${unknown.join(', ')}`);
  const label = `SYNTHETIC DATA (seed ${market.seed}), not real market prices`;
  const storeDir = join(values.out, 'synthetic-market-store');
  say(`[${label}] ${hours} hourly prices of ${coins.join(', ')} (correlated) through the CoinGecko backfill path (SyntheticMarketChart)`);
  await backfillMarket(market, storeDir, coins, values.vs, market.start, market.start + (hours - 1) * HOUR, say);
  return { storeDir, label, market: true };
}

/** The series of a store: each coin/vs pair of a market store (in store order), or the one series. */
async function seriesOf(store: Store, market: boolean): Promise<{ name: string; ids: string[]; filters: [string, '=', string][]; unit: string }[]> {
  if (!market) return [{ name: 'price', ids: [], filters: [], unit: 'USD' }];
  const pairs = new Map<string, string[]>();
  for await (const batch of await makeBatchReader(store, { columns: [...MARKET_SERIES_COLUMNS] })) {
    const coin = batch.columns.coin as ArrayLike<string>;
    const vs = batch.columns.vs as ArrayLike<string>;
    for (let i = 0; i < batch.numRows; i++) if (!pairs.has(`${coin[i]}/${vs[i]}`)) pairs.set(`${coin[i]}/${vs[i]}`, [coin[i]!, vs[i]!]);
  }
  return [...pairs.entries()].map(([name, ids]) => ({ name, ids, filters: [['coin', '=', ids[0]!], ['vs', '=', ids[1]!]], unit: ids[1]!.toUpperCase() }));
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
  const { storeDir, label, market } = await prepareStore(values, io.env, say);

  const backend = await initBackend(values.backend as BackendName | undefined);
  say(`backend: ${backend.name}${backend.skipped.length ? ` (not available: ${backend.skipped.map((s) => s.name).join(', ')})` : ''}`);

  // One store description serves the analysis, training, evaluation and the forecasts: footers are read once.
  const store = await openStore(storeDir);
  const priceColumn = market ? 'price' : 'price_usd';
  const series = await seriesOf(store, market);
  const plotDir = join(values.out, 'plots');
  const plots: { svg: string; png: string }[] = [];
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  let step = { noun: 'step', adj: 'per-step' };
  for (const s of series) {
    const analysis = await analyzeStore(store, { priceColumn, filters: s.filters, sma: [24, 168], volatilityWindow: 24 });
    const a = analysis.summary;
    const fmt = (v: number) => v.toPrecision(6).replace(/\.?0+$/, '');
    say(`${market ? `${s.name}:`.padEnd(16) : 'series:  '}${a.rows} rows ${a.from} → ${a.to}; price ${fmt(a.firstPrice)} → ${fmt(a.lastPrice)} ${s.unit} (${pct(a.totalReturn)}); volatility ${pct(a.volatility)} annualised; max drawdown ${pct(a.maxDrawdown)}`);
    // Name the time step for the messages: hourly data gives "next-hour forecasts", daily data "next-day".
    const ppy = analysis.periodsPerYear ?? NaN;
    step = Math.abs(ppy / 8766 - 1) < 0.05 ? { noun: 'hour', adj: 'hourly' } : Math.abs(ppy / 365.25 - 1) < 0.05 ? { noun: 'day', adj: 'daily' } : step;
    const chart = { label, series: { name: market ? s.ids[0]! : 'BTC', unit: s.unit } };
    const suffix = market ? `-${s.name.replace('/', '-')}` : '';
    plots.push(await writeChart(priceChartSpec(analysis, chart), plotDir, `price${suffix}`), await writeChart(volatilityChartSpec(analysis, chart), plotDir, `volatility${suffix}`));
  }

  const progress = await trainingProgress(io.stdout);
  const options = { epochs: positiveInt('epochs', values.epochs), windowSize: positiveInt('window', values.window), units: positiveInt('units', values.units), seed: positiveInt('seed', values.seed), priceColumn, ...(market ? { seriesColumns: [...MARKET_SERIES_COLUMNS] } : {}) };
  const trained = await trainForecaster(store, options, (p) => progress.update(p)).finally(() => progress.stop());
  const h = trained.history;
  const scope = market ? `one model for all ${series.length} series, ${trained.windows.train} training windows; ` : '';
  say(`trained: ${scope}${h.loss.length} epochs, loss ${h.loss[0]!.toFixed(4)} → ${h.loss[h.loss.length - 1]!.toFixed(4)}, val_loss ${h.valLoss[0]!.toFixed(4)} → ${h.valLoss[h.valLoss.length - 1]!.toFixed(4)} (MSE of z-scored ${step.adj} log returns: always predicting the training mean scores 1.0 on the training range)`);
  const ev = await evaluateForecaster(trained, store);

  const modelDir = join(values.out, 'model');
  await saveForecaster(modelDir, trained, { label, store: storeDir, history: trained.history, metrics: Object.fromEntries(ev.series.map((s, k) => [series[k]?.name ?? String(k), s.metrics])) });
  trained.model.dispose();
  // Reload from disk, as `tfpl predict` does, and forecast the hour after each series' newest row.
  const loaded = await loadForecaster(modelDir);
  const outcomes: SeriesOutcome[] = [];
  try {
    for (const s of ev.series) {
      const name = market ? s.ids.join('/') : 'price';
      const unit = market ? String(s.ids[1]).toUpperCase() : 'USD';
      say('');
      say(`${market ? `${name}: t` : 'T'}est range (newest 15 %, never seen in training): ${s.actual.length} next-${step.noun} forecasts, ${new Date(s.timestamps[0]!).toISOString()} → ${new Date(s.timestamps[s.timestamps.length - 1]!).toISOString()}`);
      say(`[${label}]`);
      say(formatComparison(s, unit));
      plots.push(await writeChart(forecastChartSpec(s, { label, ...(market ? { series: { name, unit } } : {}) }), plotDir, market ? `forecast-${name.replace('/', '-')}` : 'forecast'));
      const next = await forecastNext(loaded, store, market ? { series: s.ids.map(String) } : {});
      const f = next.forecasts[0]!;
      say(`predict: after ${new Date(next.lastTimestamp).toISOString()} (${next.lastPrice.toFixed(2)}) the model forecasts ${f.price.toFixed(2)} ${unit} for ${new Date(f.timestamp).toISOString()}`);
      outcomes.push({ name, testWindows: s.actual.length, metrics: s.metrics, best: s.best, nextPrice: f.price });
    }
  } finally {
    loaded.model.dispose();
  }
  if (market) {
    const beats = outcomes.filter((o) => o.metrics.lstm.mae < o.metrics.persistence.mae).map((o) => o.name);
    const winners = outcomes.map((o) => `${o.name}: ${o.best.mae === 'lstm' ? 'LSTM' : o.best.mae === 'persistence' ? 'persistence' : 'moving average'}`).join(', ');
    say('');
    say(`Across ${outcomes.length} series, lowest MAE per series: ${winners}.`);
    say(
      beats.length === 0
        ? 'The global LSTM beats persistence on none of them: expected for prices that move almost like random walks.'
        : `The global LSTM beats persistence on ${beats.length} of ${outcomes.length} (${beats.join(', ')}); an edge on one test range, check it on others before trusting it.`,
    );
  }
  say('');
  say(`model:   ${modelDir} (model.json, weights.bin, forecaster.json with the normalisation statistics${market ? ' of every series' : ''})`);
  say(`         same from the CLI: npx tfpl predict ${modelDir} ${storeDir}${market ? ` --series ${series[0]!.ids.join(',')}` : ''}`);
  say('plots:');
  for (const p of plots) say(`         ${p.png}  (and .svg)`);
  const seconds = (performance.now() - t0) / 1000;
  say(`done in ${seconds.toFixed(1)} s`);
  return { label, storeDir, backend: backend.name, history: trained.history, series: outcomes, plots: plots.flatMap((p) => [p.svg, p.png]), modelDir, seconds };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await runTrainLstm(process.argv.slice(2));
  } catch (err) {
    console.error(`train-lstm: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
