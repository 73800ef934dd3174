import { forecastNext, loadForecaster, type NextForecast } from '../../forecasting/index.js';
import { initBackend } from '../../index.js';
import { type Command, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';
import { toJson } from '../format.js';
import { ioOptionsFromFlags, STORE_FLAGS, STORE_FLAGS_USAGE } from '../store-flags.js';
import { predictFollow } from './predict-follow.js';
import { backendFlag } from './train.js';

const usage = `Usage: tfpl predict <model-dir> <store> [--steps N] [--series a,b] [--json]
       tfpl predict --follow <model-dir> <store> [--forecasts <store>] [--steps N] [--score-window N] [--interval <sec>] [--ticks N] [--json]

Loads a model written by \`tfpl train\` (model.json, weights.bin, forecaster.json with the normalisation
statistics) and forecasts the next price(s) from the latest window of <store>. Steps after the first feed
the model its own forecasts, so their error grows.

With --follow it keeps running on a store that grows (a collector's, \`tfpl ingest --store\`): each commit
that brings a series a new row gets that series' forecast (with persistence and a moving average), and when
the row a forecast targets lands it is scored (rolling MAE / RMSE per series, model and baselines). Both go
to the forecasts store, one commit per commit read, and a table per commit is printed. Killed and started
again, it forecasts every row that came meanwhile, none twice. A new model version saved by
\`tfpl train --follow\` is taken up between commits. Ctrl-C stops it.

Options:
  --steps <n>        steps ahead (default 1)
  --follow           follow the store (see above)
  --forecasts <s>    with --follow: the forecasts store, a folder or s3:// (default <model-dir>/forecasts)
  --score-window <n> with --follow: scores the rolling errors are taken over (default 24)
  --interval <sec>   with --follow: seconds between looks for a new commit (default 1 for a folder, which
                     also wakes on file events; 2 for HTTP and S3)
  --ticks <n>        with --follow: stop after n commits after the store as found (0: catch up, then stop)
  --series <a,b>     the series to forecast, one id per series column (e.g. bitcoin,usd), for a model
                     trained on several series; default: every series the model has statistics for
  --backend <name>   tensorflow | wasm | cpu (default: fastest available)
  --json             print the forecast as JSON
${STORE_FLAGS_USAGE}
  -h, --help         show this help`;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const command: Command = {
  name: 'predict',
  summary: 'forecast the next price(s) of a store with a model saved by tfpl train',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      steps: { type: 'string' },
      series: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
      follow: { type: 'boolean' },
      forecasts: { type: 'string' },
      'score-window': { type: 'string' },
      interval: { type: 'string' },
      ticks: { type: 'string' },
      ...STORE_FLAGS,
    });
    if (positionals.length !== 2) throw new UsageError(`expected <model-dir> and <store>; received ${positionals.length} argument(s)`);
    const steps = intFlag('steps', values.steps) ?? 1;
    const [modelDir, store] = positionals as [string, string];
    if (!values.follow) {
      for (const flag of ['forecasts', 'score-window', 'interval', 'ticks'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} applies with --follow`);
    } else {
      if (values.series !== undefined) throw new UsageError('--series does not apply with --follow: every series of the store is followed');
      await initBackend(backendFlag(values.backend));
      const follow = { modelDir, store, forecasts: values.forecasts, steps, scoreWindow: intFlag('score-window', values['score-window']), intervalSeconds: values.interval, ticks: intFlag('ticks', values.ticks, 0), json: values.json === true, io: ioOptionsFromFlags(values) };
      return predictFollow(follow, io);
    }
    await initBackend(backendFlag(values.backend));
    const forecaster = await loadForecaster(modelDir);
    try {
      const seriesColumns = forecaster.config.seriesColumns ?? [];
      if (!seriesColumns.length && values.series !== undefined) throw new UsageError('--series applies to models trained on several series; this one was trained on one');
      // Ids as the statistics keep them (JSON arrays), so an integer id stays an integer.
      const known = Object.keys(forecaster.normalization.series ?? {}).map((k) => JSON.parse(k) as (string | number)[]);
      const wanted = !seriesColumns.length ? [null] : values.series === undefined ? known : [values.series.split(',')];
      for (const w of wanted) {
        if (w && w.length !== seriesColumns.length) throw new UsageError(`--series needs one id per series column (${seriesColumns.join(', ')}); received ${JSON.stringify(values.series)}`);
      }
      const ids = wanted.map((w) => (w === null ? null : (known.find((k) => k.map(String).join(',') === w.map(String).join(',')) ?? w)));
      const label = typeof forecaster.extra?.label === 'string' ? forecaster.extra.label : undefined;
      const results: { series: (string | number)[] | null; next: NextForecast }[] = [];
      for (const series of ids) {
        const next = await forecastNext(forecaster, store, { steps, ...(series ? { series } : {}), ...ioOptionsFromFlags(values) });
        results.push({ series, next });
      }
      if (values.json) {
        const one = ({ series, next }: (typeof results)[number]) => ({ ...(series ? { series: series.map(String) } : {}), lastTimestamp: iso(next.lastTimestamp), lastPrice: next.lastPrice, stepMs: next.stepMs, forecasts: next.forecasts.map((f) => ({ ...f, timestamp: iso(f.timestamp) })) });
        const body = seriesColumns.length ? { series: results.map(one) } : one(results[0]!);
        io.stdout.write(`${toJson({ model: modelDir, store, trainedOn: label ?? null, ...body })}\n`);
        return EXIT_OK;
      }
      const lines: string[] = [];
      for (const { series, next } of results) {
        const pad = series ? `${series.join('/')}  ` : '';
        lines.push(`${pad}latest:   ${iso(next.lastTimestamp)}  ${next.lastPrice.toFixed(2)}`);
        for (const f of next.forecasts) lines.push(`${pad}forecast: ${iso(f.timestamp)}  ${f.price.toFixed(2)}  (${f.logReturn >= 0 ? '+' : ''}${(f.logReturn * 100).toFixed(3)} %)`);
      }
      if (label) lines.push(`model trained on: ${label}`);
      io.stdout.write(`${lines.join('\n')}\n`);
      return EXIT_OK;
    } finally {
      forecaster.model.dispose();
    }
  },
};

export default command;
