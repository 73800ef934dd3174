import { forecastNext, loadForecaster, type NextForecast } from '../../forecasting/index.js';
import { initBackend } from '../../index.js';
import { type Command, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';
import { toJson } from '../format.js';
import { ioOptionsFromFlags, STORE_FLAGS, STORE_FLAGS_USAGE } from '../store-flags.js';
import { backendFlag } from './train.js';

const usage = `Usage: tfpl predict <model-dir> <store> [--steps N] [--series a,b] [--json]

Loads a model written by \`tfpl train\` (model.json, weights.bin, forecaster.json with the normalisation
statistics) and forecasts the next price(s) from the latest window of <store>. Steps after the first feed
the model its own forecasts, so their error grows.

Options:
  --steps <n>        steps ahead (default 1)
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
    const { values, positionals } = parseCommandArgs(argv, { steps: { type: 'string' }, series: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, ...STORE_FLAGS });
    if (positionals.length !== 2) throw new UsageError(`expected <model-dir> and <store>; received ${positionals.length} argument(s)`);
    const steps = intFlag('steps', values.steps) ?? 1;
    await initBackend(backendFlag(values.backend));
    const [modelDir, store] = positionals as [string, string];
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
