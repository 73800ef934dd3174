import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from '../../src/cli/command.js';
import { BitcoinSchema, MarketSchema } from '../../src/forecasting/index.js';
import { isTfplError, materializeDataset } from '../../src/index.js';
import { useTmpDir } from '../tmp-dir.js';
import { runCli } from './run-cli.js';
import { type TrainProgress, trainingProgress } from '../../src/forecasting/index.js';

/**
 * `tfpl <name> ...` through src/cli/main.ts when the command is registered there; until then the same
 * handling (help → 0, UsageError → 2 with usage, TfplError → 1) around the command module.
 */
async function tfpl(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const viaMain = await runCli(argv);
  if (!viaMain.stderr.includes('unknown command')) return viaMain;
  const [name, ...rest] = argv;
  const command = (await import(`../../src/cli/commands/${name}.js`)).default as Command;
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { stdout: '', stderr: '' };
  out.on('data', (c) => (text.stdout += c));
  err.on('data', (c) => (text.stderr += c));
  const io = { stdout: out, stderr: err, env: {} };
  if (rest.includes('--help') || rest.includes('-h')) {
    out.write(`${command.usage}\n`);
    return { code: EXIT_OK, ...text };
  }
  try {
    const code = await command.run(rest, io);
    return { code, ...text };
  } catch (e) {
    // By name, as main.ts does: the dynamically imported command may see another instance of command.js.
    if (e instanceof UsageError || (e as Error).name === 'UsageError') {
      err.write(`tfpl ${name}: ${(e as Error).message}\n\n${command.usage}\n`);
      return { code: EXIT_USAGE, ...text };
    }
    if (isTfplError(e)) {
      err.write(`tfpl ${name}: ${e.name}: ${e.message}\n`);
      return { code: EXIT_FAILURE, ...text };
    }
    throw e;
  }
}

async function syntheticStore(dir: string, n: number): Promise<string> {
  const timestamp = Float64Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1) + i * 3_600_000);
  let p = 40_000;
  const price_usd = Float32Array.from({ length: n }, (_, i) => (p *= Math.exp(0.004 * Math.sin(i * 1.7) + 0.003 * Math.cos(i * 0.31))));
  const store = join(dir, 'store');
  await materializeDataset(store, BitcoinSchema, { numRows: n, columns: { timestamp, price_usd, market_cap: Float64Array.from(price_usd, (v) => v * 19.6e6), price_change_24h: new Float32Array(n).fill(NaN), total_volume: new Float64Array(n).fill(NaN) } }, { rowGroupSize: 500 });
  return store;
}

describe('cli: tfpl train / predict / plot', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  it('usage errors exit 2 with the reason and the usage', async () => {
    const cases: [string[], RegExp][] = [
      [['train'], /expected exactly one store directory; received 0/],
      [['train', 'store'], /--out <model-dir> is required/],
      [['train', 'store', '--out', 'm', '--split', '0.8,0.2,0.2'], /--split must be three fractions train,validation,test in \(0, 1\) summing to at most 1; received "0.8,0.2,0.2"/],
      [['train', 'store', '--out', 'm', '--backend', 'gpu'], /--backend must be one of tensorflow, wasm, cpu; received "gpu"/],
      [['train', 'store', '--out', 'm', '--epochs', '0'], /--epochs must be an integer >= 1; received "0"/],
      [['train', 'store', '--out', 'm', '--bogus'], /Unknown option '--bogus'/],
      [['predict', 'model'], /expected <model-dir> and <store>; received 1 argument/],
      [['predict', 'model', 'store', '--steps', 'x'], /--steps must be an integer >= 1; received "x"/],
      [['train', 'store', '--out', 'm', '--follow'], /--follow needs --every <duration> \(e.g. 1h\)/],
      [['train', 'store', '--out', 'm', '--follow', '--every', 'soon'], /--every must be a duration such as 90s, 15m, 1h or 500ms/],
      [['train', 'store', '--out', 'm', '--follow', '--every', '1h', '--window', '8'], /--window does not apply with --follow: the model in --out keeps its own options/],
      [['train', 'store', '--out', 'm', '--every', '1h'], /--every applies with --follow/],
      [['predict', 'model', 'store', '--ticks', '1'], /--ticks applies with --follow/],
      [['predict', '--follow', 'model', 'store', '--series', 'a,b'], /--series does not apply with --follow/],
      [['predict', '--follow', 'model', 'store', '--interval', '0'], /--interval must be a number of seconds >= 0.01; received "0"/],
      [['plot', 'store'], /--out <dir> is required/],
      [['plot', 'store', '--out', 'o', '--sma', '24,a'], /--sma must be an integer >= 1; received "a"/],
    ];
    for (const [argv, message] of cases) {
      const r = await tfpl(argv);
      expect(r.code, argv.join(' ')).to.equal(EXIT_USAGE);
      expect(r.stderr, argv.join(' ')).to.match(message);
      expect(r.stderr, argv.join(' ')).to.include(`Usage: tfpl ${argv[0]}`);
    }
  });

  it('training progress is a bar on a terminal and one line per epoch elsewhere', async () => {
    const events: TrainProgress[] = [
      { kind: 'start', epochs: 2, batchesPerEpoch: 3, windows: { train: 150, validation: 40 } },
      ...[0, 1].flatMap((epoch) => [0, 1, 2].map((batch): TrainProgress => ({ kind: 'batch', epoch, batch, loss: 1 - batch / 10 }))),
    ];
    const run = async (isTTY: boolean) => {
      const stdout = Object.assign(new PassThrough(), { isTTY });
      let text = '';
      stdout.on('data', (c) => (text += c));
      const progress = await trainingProgress(stdout);
      for (const e of events) progress.update(e);
      progress.update({ kind: 'epoch', epoch: 0, loss: 0.9, valLoss: 0.95 });
      progress.stop();
      return text;
    };
    const tty = await run(true);
    expect(tty).to.include('train [');
    expect(tty).to.match(/train \[.+\] epoch [12]\/2 \| step [1-6]\/6 \| loss [\d.]+/);
    const pipe = await run(false);
    expect(pipe).to.equal('training: 150 train windows (3 batches/epoch), 40 validation windows, 2 epochs\n' + pipe.split('\n')[1] + '\n');
    expect(pipe.split('\n')[1]).to.match(/^epoch 1\/2: loss 0\.9000, val_loss 0\.9500 \([\d.]+ s\)$/);
    expect(pipe).not.to.include('\u001b[');
  });

  it('--help prints the usage and exits 0', async () => {
    for (const name of ['train', 'predict', 'plot']) {
      const r = await tfpl([name, '--help']);
      expect(r.code).to.equal(EXIT_OK);
      expect(r.stdout).to.match(new RegExp(`^Usage: tfpl ${name} `));
    }
  });

  it('a missing store or model exits 1 with the path', async () => {
    const r = await tfpl(['predict', join(tmp(), 'no-model'), join(tmp(), 'no-store')]);
    expect(r.code).to.equal(EXIT_FAILURE);
    expect(r.stderr).to.match(/loadForecaster: cannot read .*no-model\/forecaster\.json/);
  });

  it('train → predict → plot on a store, with --json for machines and no progress bar off a terminal', async () => {
    const store = await syntheticStore(tmp(), 1_200);
    const model = join(tmp(), 'model');
    const plots = join(tmp(), 'plots');
    const train = await tfpl(['train', store, '--out', model, '--epochs', '2', '--window', '12', '--units', '4', '--ma-window', '6', '--backend', 'wasm', '--plots', plots, '--label', 'test series', '--json']);
    expect(train.code, train.stderr).to.equal(EXIT_OK);
    const result = JSON.parse(train.stdout);
    expect(result.backend).to.equal('wasm');
    expect(result.history.loss).to.have.length(2);
    expect(Object.keys(result.evaluation.metrics)).to.deep.equal(['lstm', 'persistence', 'movingAverage']);
    expect(result.evaluation.movingAverageWindow).to.equal(6);
    expect(existsSync(result.plot.png)).to.equal(true);
    expect(train.stderr).to.match(/epoch 2\/2: loss/);
    expect(train.stderr).not.to.include('\u001b[');

    const text = await tfpl(['predict', model, store, '--steps', '3']);
    expect(text.code, text.stderr).to.equal(EXIT_OK);
    expect(text.stdout).to.match(/^latest: {3}2024-02-19T23:00:00Z {2}[\d.]+\nforecast: 2024-02-20T00:00:00Z {2}[\d.]+ {2}\([+-][\d.]+ %\)\n(forecast: .*\n){2}model trained on: test series\n$/);
    const json = JSON.parse((await tfpl(['predict', model, store, '--json'])).stdout);
    expect(json.forecasts).to.have.length(1);
    expect(json.forecasts[0].price).to.be.finite;

    const plot = await tfpl(['plot', store, '--out', plots, '--sma', '24', '--ema', '12', '--json']);
    expect(plot.code, plot.stderr).to.equal(EXIT_OK);
    const p = JSON.parse(plot.stdout);
    expect(p.charts.map((c: { name: string }) => c.name)).to.deep.equal(['price', 'volatility']);
    expect(readFileSync(p.charts[0].svg, 'utf8')).to.include('EMA 12');
    expect(p.summary.rows).to.equal(1_200);
  });

  it('train on a MarketSchema store: one model across the coins, scored per coin; predict forecasts each coin, or the one named; plot charts one coin', async () => {
    // Two coins at very different price levels, interleaved in time as a collector appends them.
    const n = 900;
    const rows = Array.from({ length: 2 * n }, (_, k) => {
      const i = k >> 1;
      const coin = k % 2 ? 'solana' : 'bitcoin';
      const level = coin === 'bitcoin' ? 40_000 : 20;
      return { coin, vs: 'usd', timestamp: Date.UTC(2024, 0, 1) + i * 3_600_000, price: level * Math.exp(0.02 * Math.sin(i * (k % 2 ? 0.7 : 1.3))), market_cap: 1, price_change_24h: null, total_volume: null };
    });
    const store = join(tmp(), 'market');
    await materializeDataset(store, MarketSchema, rows, { rowGroupSize: 400 });
    const model = join(tmp(), 'model');
    const train = await tfpl(['train', store, '--out', model, '--epochs', '1', '--window', '12', '--units', '4', '--backend', 'wasm', '--json']);
    expect(train.code, train.stderr).to.equal(EXIT_OK);
    expect(train.stderr).to.include('series:  one model across the series of coin, vs, each scaled and scored on its own');
    const ev = JSON.parse(train.stdout).evaluation;
    // Each coin's test part: 15 % of 900 rows = 135 rows, 135 − 12 − 1 windows.
    expect(ev.series.map((s: { ids: string[]; testWindows: number }) => [s.ids, s.testWindows])).to.deep.equal([[['bitcoin', 'usd'], 122], [['solana', 'usd'], 122]]);
    expect(ev.testWindows).to.equal(244);
    const [btc, sol] = ev.series as { metrics: { persistence: { mae: number } } }[];
    expect(sol!.metrics.persistence.mae).to.be.below(btc!.metrics.persistence.mae / 100);

    const all = JSON.parse((await tfpl(['predict', model, store, '--json'])).stdout);
    expect(all.series.map((s: { series: string[] }) => s.series)).to.deep.equal([['bitcoin', 'usd'], ['solana', 'usd']]);
    expect(all.series[1].lastPrice).to.be.closeTo(rows[2 * n - 1]!.price, 1e-9);
    expect(all.series[0].lastPrice).to.be.closeTo(rows[2 * n - 2]!.price, 1e-9);
    const one = await tfpl(['predict', model, store, '--series', 'solana,usd']);
    expect(one.code, one.stderr).to.equal(EXIT_OK);
    expect(one.stdout).to.match(/^solana\/usd {2}latest: {3}2024-02-07T11:00:00Z {2}[\d.]+\nsolana\/usd {2}forecast: 2024-02-07T12:00:00Z {2}[\d.]+/);
    const bad = await tfpl(['predict', model, store, '--series', 'cardano,usd']);
    expect(bad.code).to.equal(EXIT_FAILURE);
    expect(bad.stderr).to.include('series ["cardano","usd"] has no statistics');

    // tfpl plot charts one series of the store, and says so when none is named.
    const plots = join(tmp(), 'plots');
    const plot = JSON.parse((await tfpl(['plot', store, '--out', plots, '--series', 'solana,usd', '--json'])).stdout);
    expect(plot.summary.rows).to.equal(n);
    expect(plot.summary.lastPrice).to.be.closeTo(rows[2 * n - 1]!.price, 1e-9);
    expect(plot.charts.map((c: { name: string }) => c.name)).to.deep.equal(['price-solana-usd', 'volatility-solana-usd']);
    expect(readFileSync(plot.charts[0].svg, 'utf8')).to.include('solana price (USD)');
    const none = await tfpl(['plot', store, '--out', plots]);
    expect(none.code).to.equal(EXIT_USAGE);
    expect(none.stderr).to.include('this store holds several series (coin, vs); pick one with --series <coin,vs>, e.g. --series bitcoin,usd');

    // predict --follow: the store as found (--ticks 0) gets each series' forecast from its newest row.
    const forecasts = join(tmp(), 'forecasts');
    const followed = await tfpl(['predict', '--follow', model, store, '--forecasts', forecasts, '--ticks', '0', '--json']);
    expect(followed.code, followed.stderr).to.equal(EXIT_OK);
    const tick = JSON.parse(followed.stdout.trim().split('\n')[0]!);
    expect(tick.tick).to.equal(0);
    expect(tick.forecasts.map((f: { series: string[] }) => f.series)).to.deep.equal([['bitcoin', 'usd'], ['solana', 'usd']]);
    expect(tick.forecasts[1].persistence).to.be.closeTo(rows[2 * n - 1]!.price, 1e-9);
    expect(tick.forecasts[1].targetTime).to.equal('2024-02-07T12:00:00Z');
    // train --follow: a new version from the windows of rows appended while it runs; predict --follow takes it up.
    const training = tfpl(['train', '--follow', store, '--out', model, '--every', '100ms', '--versions', '1', '--json']);
    let done = false;
    void training.then(() => (done = true));
    for (let i = n; !done && i < n + 100; i++) {
      await materializeDataset(store, MarketSchema, rows.slice(0, 2).map((r) => ({ ...r, timestamp: Date.UTC(2024, 0, 1) + i * 3_600_000 })), { mode: 'append' });
      await new Promise((r) => setTimeout(r, 30));
    }
    const version = await training;
    expect(version.code, version.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(version.stdout.trim().split('\n')[0]!)).to.deep.include({ version: '1' });
    const next = await tfpl(['predict', '--follow', model, store, '--forecasts', forecasts, '--ticks', '0']);
    expect(next.code, next.stderr).to.equal(EXIT_OK);
    expect(next.stdout).to.match(/^tick 0 {2}model v1 {2}\d+ forecast\(s\), \d+ score\(s\)/m);
    expect(next.stdout).to.match(/^ {2}score +bitcoin\/usd /m);
    expect(next.stdout).to.match(/stopped after 1 commit\(s\): \d+ forecast\(s\), \d+ score\(s\) in /);

  });
});
