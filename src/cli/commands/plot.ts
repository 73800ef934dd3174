import { analyzeStore, MARKET_SERIES_COLUMNS, priceChartSpec, volatilityChartSpec, writeChart } from '../../forecasting/index.js';
import { openStore } from '../../index.js';
import { type Command, EXIT_OK, UsageError, intFlag, parseCommandArgs } from '../command.js';
import { toJson } from '../format.js';
import { ioOptionsFromFlags, STORE_FLAGS, STORE_FLAGS_USAGE } from '../store-flags.js';

const usage = `Usage: tfpl plot <store> --out <dir> [options]

Computes moving averages, rolling volatility and drawdown over a store and writes two charts as SVG
and PNG: price.svg/.png (price with moving averages) and volatility.svg/.png (volatility and drawdown).
Forecast-vs-actual charts come from \`tfpl train --plots <dir>\`.

Options:
  --out <dir>             folder for the charts (required)
  --sma <n,n,...>         simple moving average windows in points (default 24,168)
  --ema <n,n,...>         exponential moving average spans in points (default none)
  --vol-window <n>        log returns per volatility window (default 24)
  --no-annualize          plot volatility per step instead of annualised
  --price-column <name>   price column (default price_usd, or price in a MarketSchema store)
  --series <coin,vs>      the series to chart in a MarketSchema store (required there: it holds several)
  --label <text>          data source printed under every title (default: the store path)
  --json                  print the paths and summary as JSON
${STORE_FLAGS_USAGE}
  -h, --help              show this help`;

function listFlag(name: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  if (value === '') return [];
  const out = value.split(',').map((s) => intFlag(name, s.trim())!);
  return out;
}

const command: Command = {
  name: 'plot',
  summary: 'chart a store: price with moving averages, volatility and drawdown (SVG + PNG)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string' },
      sma: { type: 'string' },
      ema: { type: 'string' },
      'vol-window': { type: 'string' },
      'no-annualize': { type: 'boolean' },
      'price-column': { type: 'string' },
      series: { type: 'string' },
      label: { type: 'string' },
      json: { type: 'boolean' },
      ...STORE_FLAGS,
    });
    if (positionals.length !== 1) throw new UsageError(`expected exactly one store directory; received ${positionals.length}`);
    if (!values.out) throw new UsageError('--out <dir> is required');
    const store = positionals[0]!;
    const volatilityWindow = intFlag('vol-window', values['vol-window'], 2);
    // Every flag is checked before the store is opened: a usage error never waits on I/O.
    const sma = listFlag('sma', values.sma);
    const ema = listFlag('ema', values.ema);
    const ids = values.series?.split(',').map((v) => v.trim());
    const opened = await openStore(store, ioOptionsFromFlags(values));
    const fields = opened.fields.map((f) => f.name);
    const market = MARKET_SERIES_COLUMNS.every((c) => fields.includes(c));
    if (market && values.series === undefined) throw new UsageError(`this store holds several series (${MARKET_SERIES_COLUMNS.join(', ')}); pick one with --series <coin,vs>, e.g. --series bitcoin,usd`);
    if (!market && values.series !== undefined) throw new UsageError(`--series applies to MarketSchema stores (columns ${MARKET_SERIES_COLUMNS.join(', ')}); ${store} has none`);
    if (ids && ids.length !== MARKET_SERIES_COLUMNS.length) throw new UsageError(`--series needs one id per series column (${MARKET_SERIES_COLUMNS.join(', ')}); received ${JSON.stringify(values.series)}`);
    const analysis = await analyzeStore(opened, {
      sma,
      ema,
      ...(volatilityWindow !== undefined ? { volatilityWindow } : {}),
      annualize: !values['no-annualize'],
      ...(values['price-column'] || market ? { priceColumn: values['price-column'] ?? 'price' } : {}),
      ...(ids ? { filters: MARKET_SERIES_COLUMNS.map((c, k) => [c, '=', ids[k]!] as [string, '=', string]) } : {}),
    });
    if (analysis.summary.rows === 0) throw new UsageError(`--series ${values.series}: no rows of that series in ${store}`);
    const label = values.label ?? `data: ${store}`;
    const chart = { label, ...(ids ? { series: { name: ids[0]!, unit: ids[1]!.toUpperCase() } } : {}) };
    const suffix = ids ? `-${ids.join('-')}` : '';
    const charts = [await writeChart(priceChartSpec(analysis, chart), values.out, `price${suffix}`), await writeChart(volatilityChartSpec(analysis, chart), values.out, `volatility${suffix}`)];
    if (values.json) {
      io.stdout.write(`${toJson({ store, label, summary: analysis.summary, charts })}\n`);
      return EXIT_OK;
    }
    const s = analysis.summary;
    const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
    io.stdout.write(
      [
        `${s.rows} rows ${s.from} → ${s.to} (${label})`,
        `price ${s.firstPrice.toFixed(2)} → ${s.lastPrice.toFixed(2)} (${pct(s.totalReturn)}), range ${s.minPrice.toFixed(2)}..${s.maxPrice.toFixed(2)}`,
        `volatility ${pct(s.volatility)}${analysis.periodsPerYear !== null ? ' annualised' : ' per step'}, max drawdown ${pct(s.maxDrawdown)} (${s.maxDrawdownPeak} → ${s.maxDrawdownTrough})`,
        ...charts.flatMap((c) => [`${c.name}: ${c.svg}`, `${' '.repeat(c.name.length)}  ${c.png}`]),
      ].join('\n') + '\n',
    );
    return EXIT_OK;
  },
};

export default command;
