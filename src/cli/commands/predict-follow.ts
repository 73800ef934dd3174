import { join } from 'node:path';
import { forecastLive, formatLiveTick, type LiveTick } from '../../forecasting/index.js';
import type { IoOptions } from '../../index.js';
import { abortOnSigint, type CliIO, EXIT_OK, UsageError } from '../command.js';
import { toJsonLine } from '../format.js';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** What `tfpl predict --follow` takes from its command line. */
export interface PredictFollowArgs {
  modelDir: string;
  store: string;
  forecasts: string | undefined;
  steps: number;
  scoreWindow: number | undefined;
  intervalSeconds: string | undefined;
  ticks: number | undefined;
  json: boolean;
  io: IoOptions;
}

/**
 * `tfpl predict --follow`: forecasts each new row of a growing store and scores each forecast when its row
 * lands (`forecastLive`), printing a table (or a JSON line) per commit, until Ctrl-C or `--ticks`.
 */
export async function predictFollow(a: PredictFollowArgs, io: CliIO): Promise<number> {
  const seconds = a.intervalSeconds === undefined ? undefined : Number(a.intervalSeconds);
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds >= 0.01)) throw new UsageError(`--interval must be a number of seconds >= 0.01; received ${JSON.stringify(a.intervalSeconds)}`);
  const forecasts = a.forecasts ?? join(a.modelDir, 'forecasts');
  const interrupt = abortOnSigint(io, 'predict', 'finishing the current commit');
  try {
    if (!a.json) io.stdout.write(`following ${a.store}: forecasts and scores go to ${forecasts} (Ctrl-C stops)\n`);
    const totals = await forecastLive(a.modelDir, a.store, {
      forecasts,
      steps: a.steps,
      ...(a.scoreWindow !== undefined ? { scoreWindow: a.scoreWindow } : {}),
      ...(seconds !== undefined ? { intervalMs: Math.round(seconds * 1000) } : {}),
      ...(a.ticks !== undefined ? { ticks: a.ticks } : {}),
      signal: interrupt.signal,
      io: a.io,
      onTick: (t) => io.stdout.write(`${a.json ? toJsonLine(tickJson(t)) : formatLiveTick(t)}\n`),
    });
    if (!a.json) io.stdout.write(`stopped after ${totals.ticks} commit(s): ${totals.forecasts} forecast(s), ${totals.scores} score(s) in ${forecasts}\n`);
    return EXIT_OK;
  } finally {
    interrupt.release();
  }
}

function tickJson(t: LiveTick) {
  const f = (x: LiveTick['forecasts'][number]) => ({ series: x.series.map(String), issuedAt: iso(x.issuedAt), horizon: x.horizon, targetTime: iso(x.targetTime), forecast: x.forecast, persistence: x.persistence, movingAverage: x.movingAverage, modelVersion: x.modelVersion });
  return {
    tick: t.tick,
    modelVersion: t.modelVersion,
    readAt: iso(t.readAt),
    committedAt: iso(t.committedAt),
    forecasts: t.forecasts.map(f),
    scores: t.scores.map((s) => ({ ...f(s), actualTime: iso(s.actualTime), actual: s.actual, errors: s.errors, rolling: s.rolling })),
    notForecast: t.notForecast.map((ids) => ids.map(String)),
  };
}
