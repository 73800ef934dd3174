/**
 * `npm run live`: the live loop, offline. A CoinGecko stand-in on 127.0.0.1 answers `/simple/price` for
 * bitcoin, ethereum and solana from the SYNTHETIC market `npm start` uses, one hour of it per call (a fast
 * clock); the collector (`collectMarket`, as `tfpl ingest --store` runs it) appends each tick to a
 * MarketSchema store; a forecaster (`forecastLive`, as `tfpl predict --follow` runs it) follows the store,
 * forecasts each coin's next hour as soon as its price lands and scores each forecast when the truth comes,
 * against persistence and a moving average. It stops by itself after --ticks ticks and prints the time
 * from each commit to its forecasts.
 *
 *   npm run live                      # 30 ticks of 0.5 s, the store followed from its folder
 *   npm run live -- --http            # the store followed over HTTP (serveStore), as a remote reader would
 *   npm run live -- --ticks 100 --tick-ms 200
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { forecastLive, formatLiveTick, type LiveTick, MarketSchema, saveForecaster, trainForecaster } from '../src/forecasting/index.js';
import { CoinGeckoClient, collectMarket, storeMarketSink, SyntheticMarketChart } from '../src/ingest/index.js';
import { initBackend, serveStore } from '../src/index.js';
import { startCoinGeckoStandIn } from './coingecko-stand-in.js';
import { backfillMarket } from './train-lstm.js';

const HOUR = 3_600_000;
const COINS = ['bitcoin', 'ethereum', 'solana'];

const OPTIONS = {
  ticks: { type: 'string', default: '30' },
  'tick-ms': { type: 'string', default: '500' },
  history: { type: 'string', default: '1440' },
  http: { type: 'boolean', default: false },
  out: { type: 'string', default: 'out/live' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: npm run live -- [--ticks 30] [--tick-ms 500] [--history 1440] [--http] [--out out/live]

  --ticks <n>     collector ticks before it stops (default 30)
  --tick-ms <ms>  wall-clock length of a tick; each brings the next synthetic hour (default 500)
  --history <h>   hours backfilled and trained on before the live part (default 1440: 60 days)
  --http          follow the store over HTTP (serveStore on 127.0.0.1) instead of from its folder
  --out <dir>     where the store, the model and the forecasts go (default out/live; replaced)`;

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be an integer >= 1; received ${JSON.stringify(v)}`);
  return n;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/** What the example measured, for its test and the README. */
export interface LiveResult {
  ticks: number;
  forecasts: number;
  scores: number;
  /** Milliseconds from each collector commit to the commit of its forecasts. */
  latencyMs: number[];
  /** Last rolling MAE per series and method. */
  mae: Record<string, { model: number; persistence: number; movingAverage: number }>;
}

export async function runLive(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<LiveResult | undefined> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (values.help) {
    out.write(`${HELP}\n`);
    return undefined;
  }
  const say = (s: string) => out.write(`${s}\n`);
  const ticks = positive('ticks', values.ticks);
  const tickMs = positive('tick-ms', values['tick-ms']);
  const history = positive('history', values.history);
  rmSync(values.out, { recursive: true, force: true });
  mkdirSync(values.out, { recursive: true });
  const store = join(values.out, 'market');
  const modelDir = join(values.out, 'model');
  const forecasts = join(values.out, 'forecasts');

  // The past: hourly prices backfilled into the store, and a small model trained on them.
  const market = new SyntheticMarketChart({ seed: 42 });
  const start = market.start;
  say(`[SYNTHETIC DATA, not real market prices] ${history} hours of ${COINS.join(', ')} backfilled, then one new hour per tick of ${tickMs} ms`);
  await backfillMarket(market, store, COINS, 'usd', start, start + (history - 1) * HOUR, say);
  const backend = await initBackend();
  const trained = await trainForecaster(store, { epochs: 2, windowSize: 24, units: 16, priceColumn: 'price', seriesColumns: ['coin', 'vs'], seed: 1 });
  await saveForecaster(modelDir, trained, { label: 'SYNTHETIC DATA' });
  trained.model.dispose();
  say(`model:   LSTM(16) on ${backend.name}, trained on ${trained.windows.train} windows → ${modelDir}`);

  // The present: the stand-in, the collector appending a commit per tick, the forecaster following.
  const standIn = await startCoinGeckoStandIn(market, start + history * HOUR);
  const server = values.http ? await serveStore(store) : null;
  const followed = server ? server.url : store;
  say(`live:    collector ← ${standIn.url}/simple/price; forecaster follows ${followed}; forecasts → ${forecasts}\n`);
  const committedAt = new Map<number, number>();
  const latencyMs: number[] = [];
  let lastRow = 0;
  let lastTick: LiveTick | null = null;
  const seenRows = new Set<number>();
  const stop = new AbortController();
  const live = forecastLive(modelDir, followed, {
    forecasts,
    intervalMs: 50,
    signal: stop.signal,
    onTick: (t) => {
      for (const f of t.forecasts) {
        const at = committedAt.get(f.issuedAt);
        if (at !== undefined && !seenRows.has(f.issuedAt)) latencyMs.push(t.committedAt - at);
        seenRows.add(f.issuedAt);
      }
      if (t.scores.length) lastTick = t;
      // A commit of no new rows (the collector's compaction) has nothing to show.
      if (t.tick > 0 && (t.forecasts.length || t.scores.length)) say(formatLiveTick(t));
    },
  });
  const sink = await storeMarketSink(store, MarketSchema);
  try {
    const client = new CoinGeckoClient({ baseUrl: standIn.url, callsPerMinute: 60_000 });
    await collectMarket({
      client,
      ids: COINS,
      vsCurrencies: ['usd'],
      intervalMs: tickMs,
      count: ticks,
      sink,
      // What went wrong, not what went right (the table says that).
      log: (e) => (e.level === 'warn' || e.level === 'error' ? say(`collector: ${e.message}`) : undefined),
      onTick: (r) => {
        const now = Date.now();
        for (const row of r.rows) {
          committedAt.set(row.timestamp, now);
          lastRow = Math.max(lastRow, row.timestamp);
        }
      },
    });
    // The last commit's forecasts, then stop.
    for (const end = Date.now() + 30_000; !seenRows.has(lastRow) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
  } finally {
    stop.abort();
    await sink.close?.();
    await live.catch((err: unknown) => say(`forecaster: ${(err as Error).message}`));
    await standIn.close();
    await server?.close();
  }
  const totals = await live;
  const mae: LiveResult['mae'] = {};
  const final = lastTick as LiveTick | null;
  for (const s of final?.scores ?? []) mae[s.series.join('/')] = { model: s.rolling.model.mae, persistence: s.rolling.persistence.mae, movingAverage: s.rolling.movingAverage.mae };
  say(`\n${totals.ticks} commits followed: ${totals.forecasts} forecasts, ${totals.scores} scores in ${forecasts}`);
  if (latencyMs.length) say(`commit → forecast committed (${server ? 'over HTTP' : 'local folder'}): median ${quantile(latencyMs, 0.5)} ms, p95 ${quantile(latencyMs, 0.95)} ms over ${latencyMs.length} commits`);
  for (const [series, m] of Object.entries(mae)) say(`${series.padEnd(14)} rolling MAE (last 24 scores): model ${m.model.toPrecision(4)}, persistence ${m.persistence.toPrecision(4)}, moving average ${m.movingAverage.toPrecision(4)}`);
  say('\nThe same, by hand: tfpl ingest --store <store> --ids bitcoin,ethereum,solana --interval 3600 & tfpl predict --follow <model> <store>');
  return { ticks: totals.ticks, forecasts: totals.forecasts, scores: totals.scores, latencyMs, mae };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await runLive(process.argv.slice(2));
  } catch (err) {
    console.error(`npm run live: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
