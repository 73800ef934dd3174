import { defineSchema, type FieldSpec, makeBatchReader, openStore, StoreError, type Store, type Unischema } from '../../index.js';

/** What `predict --follow` stores per forecast and per score: one row each, `kind` telling which. */
export type ForecastRowKind = 'forecast' | 'score';

/** Errors of the last `window` scores of one series, per method, kept to report rolling MAE and RMSE. */
export class RollingErrors {
  readonly #window: number;
  readonly #errors: { model: number; persistence: number; movingAverage: number }[] = [];

  constructor(window: number) {
    this.#window = window;
  }

  push(e: { model: number; persistence: number; movingAverage: number }): void {
    this.#errors.push(e);
    if (this.#errors.length > this.#window) this.#errors.shift();
  }

  get count(): number {
    return this.#errors.length;
  }

  /** MAE and RMSE over the kept scores, per method. */
  metrics(): Record<'model' | 'persistence' | 'movingAverage', { mae: number; rmse: number }> {
    const of = (k: 'model' | 'persistence' | 'movingAverage') => {
      const n = this.#errors.length;
      if (n === 0) return { mae: NaN, rmse: NaN };
      let abs = 0;
      let sq = 0;
      for (const e of this.#errors) {
        abs += Math.abs(e[k]);
        sq += e[k] * e[k];
      }
      return { mae: abs / n, rmse: Math.sqrt(sq / n) };
    };
    return { model: of('model'), persistence: of('persistence'), movingAverage: of('movingAverage') };
  }
}

/** A forecast issued and not scored yet: scored when the `horizon`-th row after the one it was issued at arrives. */
export interface PendingForecast {
  issuedAt: number;
  horizon: number;
  targetTime: number;
  forecast: number;
  persistence: number;
  movingAverage: number;
  modelVersion: string;
}

/** What a forecasts store says after a restart: per series (key: JSON of its ids), what was issued and scored. */
export interface ForecastLedger {
  /** Time of the newest row a forecast was issued at. */
  lastIssued: Map<string, number>;
  /** Forecasts without a score, by the time of the row they were issued at. */
  pending: Map<string, Map<number, PendingForecast[]>>;
  /** The last scores' errors. */
  rolling: Map<string, RollingErrors>;
  /** Rows of each kind in the store. */
  counts: { forecasts: number; scores: number };
}

/**
 * The schema of a forecasts store for series columns of the given fields (their types as in the prices
 * store): per row its series, `kind`, the time of the row the forecast was issued at, the horizon, the
 * target time (expected for a forecast, that of the row that scored it for a score), the model version,
 * the forecast and the baselines' (persistence, moving average); a score adds the actual value, each
 * method's error and the rolling MAE / RMSE after it.
 */
export function forecastSchemaFor(seriesFields: readonly FieldSpec[]): Unischema {
  const num = (name: string, nullable = false): FieldSpec => ({ name, dtype: 'float64', ...(nullable ? { nullable: true } : {}) });
  return defineSchema('ForecastSchema', [
    ...seriesFields,
    { name: 'kind', dtype: 'string' },
    { name: 'issued_at', dtype: 'timestamp' },
    { name: 'horizon', dtype: 'int32' },
    { name: 'target_time', dtype: 'timestamp' },
    { name: 'model_version', dtype: 'string' },
    num('forecast'),
    num('persistence'),
    num('moving_average'),
    num('actual', true),
    num('error_model', true),
    num('error_persistence', true),
    num('error_moving_average', true),
    num('mae_model', true),
    num('rmse_model', true),
    num('mae_persistence', true),
    num('rmse_persistence', true),
    num('mae_moving_average', true),
    num('rmse_moving_average', true),
  ]);
}

/** The series fields of a prices store, as the forecasts store declares them. */
export function seriesFieldsOf(store: Store, seriesColumns: readonly string[]): FieldSpec[] {
  return seriesColumns.map((name) => {
    const f = store.fields.find((x) => x.name === name);
    if (!f) throw new StoreError(`forecasting: the store has no series column "${name}"; its columns: ${store.fields.map((x) => x.name).join(', ')}`, store.url);
    return { name, dtype: f.dtype } as FieldSpec;
  });
}

const seriesKey = (ids: readonly unknown[]) => JSON.stringify(ids.map((v) => (typeof v === 'bigint' ? String(v) : v)));

/**
 * Reads what a forecasts store holds (an empty ledger when it does not exist yet): the newest issue time
 * per series, the forecasts not scored yet, and the last `scoreWindow` scores per series, so a restarted
 * `predict --follow` issues no forecast twice, misses none and scores each once.
 */
export async function readForecastLedger(url: string, seriesColumns: readonly string[], scoreWindow: number, io: object): Promise<ForecastLedger> {
  const ledger: ForecastLedger = { lastIssued: new Map(), pending: new Map(), rolling: new Map(), counts: { forecasts: 0, scores: 0 } };
  let store: Store;
  try {
    store = await openStore(url, io);
  } catch (err) {
    // A store not written yet (no folder, no files, no objects under the prefix) holds nothing issued.
    if (err instanceof StoreError && /does not exist|holds no Parquet data/.test(err.message)) return ledger;
    throw err;
  }
  if (store.numRows === 0) return ledger;
  const issued: { key: string; row: PendingForecast }[] = [];
  const scored = new Set<string>();
  const scores: { key: string; at: number; e: { model: number; persistence: number; movingAverage: number } }[] = [];
  for await (const b of await makeBatchReader(store, { workers: 0 })) {
    const c = b.columns as Record<string, ArrayLike<unknown>>;
    for (let i = 0; i < b.numRows; i++) {
      const key = seriesKey(seriesColumns.map((s) => c[s]![i]));
      const issuedAt = c.issued_at![i] as number;
      const horizon = c.horizon![i] as number;
      if (c.kind![i] === 'forecast') {
        ledger.counts.forecasts++;
        ledger.lastIssued.set(key, Math.max(ledger.lastIssued.get(key) ?? -Infinity, issuedAt));
        issued.push({ key, row: { issuedAt, horizon, targetTime: c.target_time![i] as number, forecast: c.forecast![i] as number, persistence: c.persistence![i] as number, movingAverage: c.moving_average![i] as number, modelVersion: c.model_version![i] as string } });
      } else {
        ledger.counts.scores++;
        scored.add(`${key}\n${issuedAt}\n${horizon}`);
        scores.push({ key, at: c.target_time![i] as number, e: { model: c.error_model![i] as number, persistence: c.error_persistence![i] as number, movingAverage: c.error_moving_average![i] as number } });
      }
    }
  }
  for (const { key, row } of issued) {
    if (scored.has(`${key}\n${row.issuedAt}\n${row.horizon}`)) continue;
    let bySeries = ledger.pending.get(key);
    if (!bySeries) ledger.pending.set(key, (bySeries = new Map()));
    bySeries.set(row.issuedAt, [...(bySeries.get(row.issuedAt) ?? []), row]);
  }
  scores.sort((a, b) => a.at - b.at);
  for (const s of scores) {
    let r = ledger.rolling.get(s.key);
    if (!r) ledger.rolling.set(s.key, (r = new RollingErrors(scoreWindow)));
    r.push(s.e);
  }
  return ledger;
}

export { seriesKey };
