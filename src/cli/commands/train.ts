import { evaluateForecaster, type ForecastEvaluation, forecastChartSpec, type SeriesForecastEvaluation, formatComparison, saveForecaster, trainForecaster, trainingProgress, writeChart } from '../../forecasting/index.js';
import { type BackendName, initBackend, openStore } from '../../index.js';
import { MARKET_SERIES_COLUMNS } from '../../forecasting/index.js';
import { type Command, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';
import { toJson } from '../format.js';
import { ioOptionsFromFlags, STORE_FLAGS, STORE_FLAGS_USAGE } from '../store-flags.js';
import { durationFlag, trainFollow } from './train-follow.js';

const usage = `Usage: tfpl train <store> --out <model-dir> [options]
       tfpl train --follow <store> --out <model-dir> --every <duration> [--epochs N] [--min-windows N] [--versions N]

Trains an LSTM to forecast the next price of a store from its last --window log returns, on the oldest
70 % of the rows (validation: the next 15 %), then scores it on the newest 15 % against two baselines,
persistence (next = last) and a moving average, with MAE and RMSE in price units. Saves the model
(model.json, weights.bin) and forecaster.json (normalisation statistics and options) in --out; read
them back with \`tfpl predict\`.

Options:
  --out <dir>             model directory to write (required)
  --epochs <n>            training epochs (default 5)
  --window <n>            past steps per input window (default 48)
  --units <n>             LSTM units (default 32)
  --batch-size <n>        windows per batch (default 64)
  --learning-rate <x>     Adam learning rate (default 0.003)
  --ma-window <n>         points averaged by the moving-average baseline, <= --window (default min(24, --window))
  --split <a,b,c>         train,validation,test fractions, oldest first (default 0.7,0.15,0.15)
  --max-gap <seconds>     drop windows with a larger time step (default: no limit)
  --price-column <name>   price column (default price_usd, or price in a MarketSchema store)
  --series-columns <a,b>  columns naming the series of a store of several: one global model, scored
                          per series (default coin,vs when the store has both, else none)
  --seed <n>              seed of initialisation and shuffling (default 42)
  --backend <name>        tensorflow | wasm | cpu (default: fastest available)
  --plots <dir>           also write forecast.svg/.png (forecast vs actual on the test range)
  --label <text>          data source shown on the plot and saved with the model (default: the store path)
  --json                  print the result as JSON (epoch lines go to stderr)
  --follow                keep the model in --out learning from the store's new windows (see above)
  --every <duration>      with --follow: time between two versions (90s, 15m, 1h; required)
  --min-windows <n>       with --follow: fewer new windows wait for the next round (default 1)
  --versions <n>          with --follow: stop after n versions (default: until Ctrl-C)
${STORE_FLAGS_USAGE}
  -h, --help              show this help

With --follow, the model already in --out keeps learning while the store grows: every --every (90s, 15m,
1h) it is trained further on the windows the store's commits brought since the last round (warm start,
its own normalisation), and saved as the next version beside the last (versions/<n>/, made current
atomically); \`tfpl predict --follow\` takes up each new version between ticks. Killed and started again, it
goes on after the windows of the last version saved. --epochs is per round (default 1); a round with
fewer than --min-windows new windows (default 1) waits for the next. Ctrl-C stops it.

Progress: a bar when stdout is a terminal; otherwise one line per epoch.`;

function floatFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number > 0; received ${JSON.stringify(value)}`);
  return n;
}

/** `--split 0.7,0.15,0.15` → { train, validation, test }. */
export function splitFlag(value: string | undefined): { train: number; validation: number; test: number } | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map(Number);
  if (parts.length !== 3 || parts.some((p) => !(p > 0 && p < 1)) || parts.reduce((a, b) => a + b, 0) > 1 + 1e-9) {
    throw new UsageError(`--split must be three fractions train,validation,test in (0, 1) summing to at most 1; received ${JSON.stringify(value)}`);
  }
  return { train: parts[0]!, validation: parts[1]!, test: parts[2]! };
}

export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** `--backend` checked against the valid names. */
export function backendFlag(value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  if (!(BACKENDS as readonly string[]).includes(value)) throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}; received ${JSON.stringify(value)}`);
  return value as BackendName;
}

/** Metrics as plain JSON. */
export function evaluationJson(ev: ForecastEvaluation) {
  const part = (e: SeriesForecastEvaluation) => ({ testWindows: e.actual.length, from: new Date(e.timestamps[0]!).toISOString(), to: new Date(e.timestamps[e.timestamps.length - 1]!).toISOString(), movingAverageWindow: e.movingAverageWindow, metrics: e.metrics, best: e.best });
  return { ...part(ev), series: ev.series.length > 1 || ev.series[0]?.ids.length ? ev.series.map((s) => ({ ids: s.ids.map(String), ...part(s) })) : [] };
}

const command: Command = {
  name: 'train',
  summary: 'train an LSTM forecaster on a store; compare it with persistence and a moving average',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string' },
      epochs: { type: 'string' },
      window: { type: 'string' },
      units: { type: 'string' },
      'batch-size': { type: 'string' },
      'learning-rate': { type: 'string' },
      'ma-window': { type: 'string' },
      split: { type: 'string' },
      'max-gap': { type: 'string' },
      'price-column': { type: 'string' },
      'series-columns': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      plots: { type: 'string' },
      label: { type: 'string' },
      json: { type: 'boolean' },
      follow: { type: 'boolean' },
      every: { type: 'string' },
      'min-windows': { type: 'string' },
      versions: { type: 'string' },
      ...STORE_FLAGS,
    });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one store directory; received ${positionals.length}`);
    if (!values.out) throw new UsageError('--out <model-dir> is required');
    const store = positionals[0]!;
    if (values.follow) {
      const everyMs = durationFlag('every', values.every);
      if (everyMs === undefined) throw new UsageError('--follow needs --every <duration> (e.g. 1h): how often a new version is trained');
      for (const flag of ['window', 'units', 'batch-size', 'learning-rate', 'ma-window', 'split', 'max-gap', 'price-column', 'series-columns', 'seed', 'plots', 'label'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} does not apply with --follow: the model in --out keeps its own options`);
      }
      await initBackend(backendFlag(values.backend));
      return trainFollow({ store, modelDir: values.out, everyMs, epochs: intFlag('epochs', values.epochs), minWindows: intFlag('min-windows', values['min-windows']), versions: intFlag('versions', values.versions), json: values.json === true, io: ioOptionsFromFlags(values) }, io);
    }
    for (const flag of ['every', 'min-windows', 'versions'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} applies with --follow`);
    const options = {
      epochs: intFlag('epochs', values.epochs),
      windowSize: intFlag('window', values.window, 2),
      units: intFlag('units', values.units),
      batchSize: intFlag('batch-size', values['batch-size']),
      learningRate: floatFlag('learning-rate', values['learning-rate']),
      movingAverageWindow: intFlag('ma-window', values['ma-window']),
      split: splitFlag(values.split),
      maxGap: values['max-gap'] === undefined ? undefined : floatFlag('max-gap', values['max-gap'])! * 1000,
      seed: intFlag('seed', values.seed, 0),
    };
    const backendName = backendFlag(values.backend);
    const label = values.label ?? `data: ${store}`;
    const log = values.json ? io.stderr : io.stdout;
    const opened = await openStore(store, ioOptionsFromFlags(values));
    const fields = opened.fields.map((f) => f.name);
    const seriesColumns = values['series-columns'] !== undefined ? values['series-columns'].split(',').map((c) => c.trim()) : MARKET_SERIES_COLUMNS.every((c) => fields.includes(c)) ? [...MARKET_SERIES_COLUMNS] : [];
    if (seriesColumns.some((c) => c === '')) throw new UsageError(`--series-columns must be comma-separated column names; received ${JSON.stringify(values['series-columns'])}`);
    const priceColumn = values['price-column'] ?? (!fields.includes('price_usd') && fields.includes('price') ? 'price' : undefined);
    const clean = Object.fromEntries(Object.entries({ ...options, priceColumn, seriesColumns }).filter(([, v]) => v !== undefined));
    if (seriesColumns.length) log.write(`series:  one model across the series of ${seriesColumns.join(', ')}, each scaled and scored on its own\n`);
    const backend = await initBackend(backendName);
    log.write(`backend: ${backend.name}${backend.skipped.length ? ` (skipped: ${backend.skipped.map((s) => s.name).join(', ')})` : ''}\n`);
    const progress = await trainingProgress(log, { bar: !values.json && io.stdout.isTTY === true, fetchStats: opened.location.stats });
    const t0 = performance.now();
    const trained = await trainForecaster(opened, clean, (p) => progress.update(p)).finally(() => progress.stop());
    try {
      const seconds = (performance.now() - t0) / 1000;
      const ev = await evaluateForecaster(trained, opened);
      const saved = await saveForecaster(values.out, trained, { label, store, trainedSeconds: seconds, backend: backend.name, history: trained.history, evaluation: evaluationJson(ev) });
      const charts = [];
      if (values.plots) {
        if (!seriesColumns.length) charts.push(await writeChart(forecastChartSpec(ev, { label }), values.plots, 'forecast'));
        else for (const s of ev.series) charts.push(await writeChart(forecastChartSpec(s, { label, series: { name: s.ids.join('/'), unit: 'price units' } }), values.plots, `forecast-${s.ids.join('-')}`));
      }
      if (values.json) {
        io.stdout.write(`${toJson({ backend: backend.name, label, store, windows: trained.windows, history: trained.history, trainSeconds: seconds, evaluation: evaluationJson(ev), model: saved, plot: charts[0] ?? null, plots: charts })}\n`);
        return EXIT_OK;
      }
      const range = (e: SeriesForecastEvaluation) => `${e.actual.length} next-step forecasts, ${new Date(e.timestamps[0]!).toISOString()} → ${new Date(e.timestamps[e.timestamps.length - 1]!).toISOString()}`;
      const out = [''];
      if (seriesColumns.length) {
        for (const s of ev.series) out.push(`${s.ids.join('/')}: test range: ${range(s)} (${label})`, formatComparison(s, 'price units'), '');
      } else out.push(`Test range: ${range(ev)} (${label})`, formatComparison(ev), '');
      out.push(`model: ${saved.files.join(', ')}`);
      for (const c of charts) out.push(`plot:  ${c.svg}`, `       ${c.png}`);
      out.push(`next:  tfpl predict ${saved.dir} ${store}${seriesColumns.length ? ` --series ${ev.series[0]!.ids.join(',')}` : ''}`);
      io.stdout.write(`${out.join('\n')}\n`);
      return EXIT_OK;
    } finally {
      trained.model.dispose();
    }
  },
};

export default command;
