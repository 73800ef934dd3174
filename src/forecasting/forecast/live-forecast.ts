import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { denormalize, type FollowDataset, makeTfDataset, materializeDataset, openStore, parseOptions, type Store, type StoreRef } from '../../index.js';
import { forecastSchemaFor, type ForecastLedger, type PendingForecast, readForecastLedger, RollingErrors, seriesFieldsOf, seriesKey } from './forecast-ledger.js';
import { currentModelVersion, loadForecaster } from './model-io.js';
import type { Forecaster } from './train.js';
import { windowOptions } from './train.js';

const liveForecastSchema = z.strictObject({
  /** The store forecasts and scores are appended to (created when missing). Required. */
  forecasts: z.string({ error: 'must be the path or URL of the forecasts store' }).min(1),
  /** Steps forecast from each row; step k > 1 feeds the model its own earlier forecasts. Default 1. */
  steps: z.number().int().min(1).default(1),
  /** Scores the rolling MAE / RMSE are taken over, per series. Default 24. */
  scoreWindow: z.number().int().min(1).default(24),
  /** Prices averaged by the moving-average baseline. Default: the model's (its training option). */
  movingAverageWindow: z.number().int().min(1).optional(),
  /** Stop after this many commits of the prices store were read after the first (0: read the store as found, then stop). Default: until `signal`. */
  ticks: z.number().int().min(0).optional(),
  /** How often to look for a new commit when no file event says so (remote stores: the poll). */
  intervalMs: z.number().int().min(10).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional(),
  /** I/O options of both stores (`s3`, `retry`, `headers`, ...), as for `openStore`. */
  io: z.record(z.string(), z.unknown()).default({}),
  /** Called after each commit with what it brought: the forecasts issued and the scores made. */
  onTick: z.custom<(tick: LiveTick) => void>((v) => typeof v === 'function', { error: 'must be a function' }).optional(),
});

/** Options of `forecastLive`. */
export type LiveForecastOptions = z.input<typeof liveForecastSchema>;

/** One forecast issued: from the row at `issuedAt` of a series, `horizon` rows ahead. */
export interface LiveForecast extends PendingForecast {
  series: (string | number)[];
}

/** One forecast scored, when the row it forecast arrived. */
export interface LiveScore extends LiveForecast {
  /** Time and value of the row that scored it. */
  actualTime: number;
  actual: number;
  errors: { model: number; persistence: number; movingAverage: number };
  /** After this score: MAE and RMSE over the series' last `scoreWindow` scores. */
  rolling: Record<'model' | 'persistence' | 'movingAverage', { mae: number; rmse: number }>;
}

/** What one commit of the prices store brought. */
export interface LiveTick {
  /** 0: the store as found at the start (it may catch up on rows that came while nothing ran). */
  tick: number;
  /** When the commit was read whole, and when its forecasts and scores were committed (epoch ms). */
  readAt: number;
  committedAt: number;
  modelVersion: string;
  forecasts: LiveForecast[];
  scores: LiveScore[];
  /** Series with a new row too few rows into a gap-free stretch to forecast from. */
  notForecast: (string | number)[][];
}

/** Per series: the prices and times the baselines and the time step need, and the forecasts waiting. */
interface SeriesLive {
  ids: (string | number)[];
  key: string;
  prices: number[];
  times: number[];
  lastIssued: number | undefined;
  /** From a restart: forecasts by the time of the row they were issued at (not yet placed by row). */
  byIssued: Map<number, PendingForecast[]>;
  /** Forecasts by the row number (in the series) that scores them. */
  byRow: Map<number, PendingForecast[]>;
  /** The commit's rows that may score a forecast (time and price by row number), until it is read whole. */
  arrived: Map<number, { ts: number; price: number }>;
  /** Row number of the newest row. */
  lastRow: number;
  rolling: RollingErrors;
}

interface Request {
  s: number;
  row: number;
  ts: number;
  price: number;
  movingAverage: number;
  stepMs: number;
  inputs: Float32Array;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

/**
 * Forecasts a growing prices store live: follows it (`makeTfDataset` with `follow`), and for every new row
 * of a series issues the model's forecast of the next `steps` rows with the two baselines (persistence and
 * the moving average), appending them to the forecasts store as one commit per commit of the prices; when
 * the row a forecast targets arrives it is scored (each method's error, the rolling MAE / RMSE per series)
 * and the score is appended with the same commit. At the first start a series gets its first forecast
 * from its newest row; after a restart, every row that came since the last forecast gets its own, so every
 * target row is forecast exactly once and scored once. A new model version (`saveForecasterVersion`) is
 * taken up between commits.
 *
 * @example
 * const stop = new AbortController();
 * await forecastLive('./model', './market', { forecasts: './forecasts', signal: stop.signal, onTick: (t) => console.log(t.forecasts) });
 */
export async function forecastLive(modelDir: string, store: StoreRef | Store, options: LiveForecastOptions): Promise<{ ticks: number; forecasts: number; scores: number }> {
  const fn = 'forecastLive';
  const o = parseOptions(fn, liveForecastSchema, options);
  let forecaster: Forecaster & { version: string } = await loadForecaster(modelDir);
  try {
    const { config } = forecaster;
    const seriesColumns = config.seriesColumns ?? [];
    const maWindow = o.movingAverageWindow ?? config.training.movingAverageWindow;
    const prices = await openStore(store, o.io);
    const schema = forecastSchemaFor(seriesFieldsOf(prices, seriesColumns));
    const ledger: ForecastLedger = await readForecastLedger(o.forecasts, seriesColumns, o.scoreWindow, o.io);
    const { split: _split, batchSize: _b, ...windows } = windowOptions(config);
    const ds = (await makeTfDataset(prices, { ...windows, ...o.io, normalization: forecaster.normalization, follow: o.intervalMs === undefined ? true : { intervalMs: o.intervalMs }, ...(o.signal ? { signal: o.signal } : {}) })) as FollowDataset;
    const engine = ds.windows;
    const keys = () => ds.series.map((s) => s.ids.map((v) => (typeof v === 'bigint' ? String(v) : v)));
    const series: SeriesLive[] = [];
    const seriesOf = (s: number): SeriesLive => {
      let st = series[s];
      if (!st) {
        const ids = keys()[s] ?? [];
        const key = seriesKey(ids);
        st = { ids, key, prices: [], times: [], lastIssued: ledger.lastIssued.get(key), byIssued: ledger.pending.get(key) ?? new Map(), byRow: new Map(), arrived: new Map(), lastRow: -1, rolling: ledger.rolling.get(key) ?? new RollingErrors(o.scoreWindow) };
        series[s] = st;
      }
      return st;
    };

    let requests: Request[] = [];
    let scores: LiveScore[] = [];
    /** First start: the newest row of each series seen in the commit, forecast once it is read whole. */
    let newest = new Map<number, number>();
    const notForecast = new Set<number>();
    const keep = Math.max(maWindow, config.windowSize + 1);
    engine.onRow = (s, row, ts, raw) => {
      const st = seriesOf(s);
      const price = raw[0]!;
      st.lastRow = row;
      // A restart's pending forecasts are placed by row once the row they were issued at passes.
      const issuedHere = st.byIssued.get(ts);
      if (issuedHere) {
        for (const p of issuedHere) st.byRow.set(row + p.horizon, [...(st.byRow.get(row + p.horizon) ?? []), p]);
        st.byIssued.delete(ts);
      }
      // Kept until the commit is read whole: a row may score a forecast issued from an earlier row of the same commit.
      const forecastFrom = st.lastIssued !== undefined && ts > st.lastIssued;
      if (st.byRow.has(row) || forecastFrom) st.arrived.set(row, { ts, price });
      st.prices.push(price);
      st.times.push(ts);
      if (st.prices.length > keep) {
        st.prices.shift();
        st.times.shift();
      }
      if (st.lastIssued === undefined) {
        // First start: only the series' newest row is forecast from, once the commit is read whole.
        newest.set(s, row);
        return;
      }
      if (!forecastFrom) return;
      const request = requestAt(s, row);
      if (request) requests.push(request);
      else notForecast.add(s);
    };
    /** The forecast request of series `s` at its newest row `row` (null: too few rows in its current stretch). */
    const requestAt = (s: number, row: number): Request | null => {
      const st = seriesOf(s);
      const latest = engine.latestInputs(s);
      if (!latest || st.times.length < 2) return null;
      const ma = st.prices.slice(-maWindow);
      const gaps = st.times.slice(1).map((t, k) => t - st.times[k]!);
      return { s, row, ts: latest.lastTimestamp, price: st.prices[st.prices.length - 1]!, movingAverage: ma.reduce((a, b) => a + b, 0) / ma.length, stepMs: median(gaps.slice(-config.windowSize)), inputs: latest.xs };
    };

    let modelVersion = forecaster.version;
    const totals = { ticks: 0, forecasts: 0, scores: 0 };
    for (let tick = 0; ; tick++) {
      if (o.ticks !== undefined && tick > o.ticks) break;
      const read = await ds.readCommit();
      if (!read) break;
      const readAt = Date.now();
      for (const [s, row] of newest) {
        const r = requestAt(s, row);
        if (r) requests.push(r);
        else notForecast.add(s);
      }
      newest = new Map();
      // A new version of the model, saved by a trainer meanwhile, forecasts from this commit on.
      const current = await currentModelVersion(modelDir);
      if (current !== modelVersion) {
        const next = await loadForecaster(modelDir);
        forecaster.model.dispose();
        forecaster = next;
        modelVersion = next.version;
      }
      const issued = forecastRequests(forecaster, requests, seriesOf, o.steps, modelVersion);
      requests.forEach((r, k) => {
        const st = seriesOf(r.s);
        st.lastIssued = Math.max(st.lastIssued ?? -Infinity, r.ts);
        for (const f of issued[k]!) st.byRow.set(r.row + f.horizon, [...(st.byRow.get(r.row + f.horizon) ?? []), f]);
      });
      const forecasts = issued.flat();
      // Scored in row order once the commit is read whole (the rolling errors are over the latest scores).
      for (const st of series) if (st) scoreArrived(st, scores);
      const rows = [...forecasts.map((f) => rowOf(seriesColumns, 'forecast', f)), ...scores.map((sc) => rowOf(seriesColumns, 'score', sc))];
      if (rows.length) await materializeDataset(o.forecasts, schema, rows, { mode: 'append', ...o.io });
      const report: LiveTick = { tick, readAt, committedAt: Date.now(), modelVersion, forecasts, scores, notForecast: [...notForecast].map((s) => seriesOf(s).ids) };
      totals.ticks++;
      totals.forecasts += forecasts.length;
      totals.scores += scores.length;
      requests = [];
      scores = [];
      notForecast.clear();
      o.onTick?.(report);
    }
    return totals;
  } finally {
    forecaster.model.dispose();
  }
}

/** Scores, in row order, the forecasts of `st` whose target row arrived in the commit just read; forgets the commit's rows. */
function scoreArrived(st: SeriesLive, out: LiveScore[]): void {
  const due = [...st.byRow.keys()].filter((row) => row <= st.lastRow).sort((a, b) => a - b);
  for (const row of due) {
    const at = st.arrived.get(row);
    // A row before this run's first read (a forecast issued from a row whose target came before the restart) cannot be scored: its price is gone.
    if (at) {
      for (const p of st.byRow.get(row)!) {
        const errors = { model: p.forecast - at.price, persistence: p.persistence - at.price, movingAverage: p.movingAverage - at.price };
        st.rolling.push(errors);
        out.push({ series: st.ids, ...p, actualTime: at.ts, actual: at.price, errors, rolling: st.rolling.metrics() });
      }
    }
    st.byRow.delete(row);
  }
  st.arrived.clear();
}

/** The model's forecasts for each of a commit's requests (one batch through the model per step), with the baselines. */
function forecastRequests(forecaster: Forecaster, requests: Request[], seriesOf: (s: number) => SeriesLive, steps: number, modelVersion: string): LiveForecast[][] {
  const out: LiveForecast[][] = requests.map(() => []);
  if (requests.length === 0) return out;
  const { config, model, normalization } = forecaster;
  const W = config.windowSize;
  const n = requests.length;
  const input = new Float32Array(n * W);
  requests.forEach((r, k) => input.set(r.inputs, k * W));
  const price = requests.map((r) => r.price);
  for (let h = 1; h <= steps; h++) {
    const pred = tf.tidy(() => (model.predict(tf.tensor3d(input, [n, W, 1])) as tf.Tensor).dataSync());
    requests.forEach((r, k) => {
      const ids = seriesOf(r.s).ids;
      const selector = config.seriesColumns?.length ? { series: ids } : {};
      const logReturn = denormalize(normalization, config.priceColumn, [pred[k]!], selector)[0]!;
      price[k] = price[k]! * Math.exp(logReturn);
      out[k]!.push({ series: ids, issuedAt: r.ts, horizon: h, targetTime: r.ts + h * r.stepMs, forecast: price[k]!, persistence: r.price, movingAverage: r.movingAverage, modelVersion });
      // The next step sees its own forecast as the newest input.
      input.copyWithin(k * W, k * W + 1, (k + 1) * W);
      input[(k + 1) * W - 1] = pred[k]!;
    });
  }
  return out;
}

function rowOf(seriesColumns: readonly string[], kind: 'forecast' | 'score', f: LiveForecast | LiveScore): Record<string, unknown> {
  const row: Record<string, unknown> = {
    kind,
    issued_at: new Date(f.issuedAt),
    horizon: f.horizon,
    target_time: new Date('actualTime' in f ? f.actualTime : f.targetTime),
    model_version: f.modelVersion,
    forecast: f.forecast,
    persistence: f.persistence,
    moving_average: f.movingAverage,
    actual: null,
    error_model: null,
    error_persistence: null,
    error_moving_average: null,
    mae_model: null,
    rmse_model: null,
    mae_persistence: null,
    rmse_persistence: null,
    mae_moving_average: null,
    rmse_moving_average: null,
  };
  seriesColumns.forEach((c, k) => (row[c] = f.series[k]));
  if ('actual' in f) {
    Object.assign(row, {
      actual: f.actual,
      error_model: f.errors.model,
      error_persistence: f.errors.persistence,
      error_moving_average: f.errors.movingAverage,
      mae_model: f.rolling.model.mae,
      rmse_model: f.rolling.model.rmse,
      mae_persistence: f.rolling.persistence.mae,
      rmse_persistence: f.rolling.persistence.rmse,
      mae_moving_average: f.rolling.movingAverage.mae,
      rmse_moving_average: f.rolling.movingAverage.rmse,
    });
  }
  return row;
}

