import { expect } from 'chai';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runTrainLstm } from '../../examples/train-lstm.js';
import { sharedData } from '../shared-data.js';
import { useTmpDir } from '../tmp-dir.js';

function captured() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const text = { out: '', err: '' };
  stdout.on('data', (c) => (text.out += c));
  stderr.on('data', (c) => (text.err += c));
  return { io: { stdout, stderr, env: {} }, text };
}

describe('examples: npm start (examples/main.ts → runTrainLstm)', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  it('runs the whole synthetic pipeline offline at a reduced size: a store of three coins, analytics, one global model, a three-way comparison per coin, plots, saved model, forecasts', async () => {
    const { io, text } = captured();
    const r = (await runTrainLstm(['--hours', '1500', '--epochs', '2', '--window', '24', '--units', '8', '--out', tmp()], io))!;
    expect(r.label).to.match(/^SYNTHETIC DATA \(seed 42\)/);
    expect(r.backend).to.be.oneOf(['tensorflow', 'wasm', 'cpu']);
    expect(r.history.loss).to.have.length(2);
    const out = text.out;
    // Labelled as synthetic, with the backend, per-epoch progress (not a TTY: lines, no bar), the comparison and the plots.
    expect(out).to.match(/^\[SYNTHETIC DATA \(seed 42\), not real market prices\] 1500 hourly prices of bitcoin, ethereum, solana/);
    expect(out).to.match(/backend: (tensorflow|wasm|cpu)/);
    expect(out).to.match(/epoch 1\/2: loss [\d.]+, val_loss [\d.]+/);
    expect(out).not.to.include('\u001b[');
    // One comparison per coin, each on its own test range, and a plain summary of who wins where.
    for (const coin of ['bitcoin', 'ethereum', 'solana']) {
      expect(out).to.match(new RegExp(`${coin}/usd: test range \\(newest 15 %, never seen in training\\): 200 next-hour forecasts`));
    }
    expect(out.match(/LSTM\s+[\d,]+\.\d\d\s+[\d,]+\.\d\d\npersistence \(next = last\)\s+[\d,]+\.\d\d\s+[\d,]+\.\d\d\nmoving average \(24 points\)/g)).to.have.length(3);
    expect(out.match(/(Winner|Split decision): /g)).to.have.length(3);
    expect(out).to.match(/Across 3 series, lowest MAE per series: bitcoin\/usd: \w[\w ]*, ethereum\/usd: \w[\w ]*, solana\/usd: \w[\w ]*\./);
    expect(out).to.match(/The global LSTM beats persistence on (none of them|\d of 3)/);
    for (const f of r.plots) {
      expect(existsSync(f), f).to.equal(true);
      expect(out).to.include(f.replace(/\.svg$/, '.png'));
    }
    const coins = ['bitcoin-usd', 'ethereum-usd', 'solana-usd'];
    expect(r.plots.map((f) => f.slice(f.lastIndexOf('/') + 1))).to.deep.equal([
      ...coins.flatMap((c) => [`price-${c}.svg`, `price-${c}.png`, `volatility-${c}.svg`, `volatility-${c}.png`]),
      ...coins.flatMap((c) => [`forecast-${c}.svg`, `forecast-${c}.png`]),
    ]);
    for (const f of ['model.json', 'weights.bin', 'forecaster.json']) expect(statSync(join(r.modelDir, f)).size).to.be.above(100);
    expect(r.series.map((s) => [s.name, s.testWindows])).to.deep.equal([['bitcoin/usd', 200], ['ethereum/usd', 200], ['solana/usd', 200]]);
    // Each coin is scored in its own price units: Solana's errors are far below Bitcoin's.
    const mae = Object.fromEntries(r.series.map((s) => [s.name, s.metrics.persistence.mae]));
    expect(mae['solana/usd']!).to.be.below(mae['bitcoin/usd']! / 100);
    for (const s of r.series) {
      expect(s.nextPrice).to.be.finite.and.above(0);
      for (const m of Object.values(s.metrics)) expect(m.mae).to.be.finite.and.above(0);
    }
  });

  it('--source coingecko without COINGECKO_API_KEY stops before any request and says what is missing', async () => {
    const { io } = captured();
    let err: Error | undefined;
    await runTrainLstm(['--source', 'coingecko', '--out', tmp()], io).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/--source coingecko needs COINGECKO_API_KEY/);
  });

  it('trains on the real hourly Coinbase CSV via --csv: loss decreases, MAE/RMSE of the three forecasters are finite', async function () {
    const file = join(sharedData(this, 'btc', 'hourly'), 'coinbase_BTC-USD_1h_2023-12-31_2024-09-11.csv');
    const { io, text } = captured();
    const r = (await runTrainLstm(['--csv', file, '--epochs', '3', '--window', '24', '--units', '8', '--out', tmp()], io))!;
    expect(r.label).to.equal('real data: coinbase_BTC-USD_1h_2023-12-31_2024-09-11.csv');
    expect(text.out).to.include('layout coinbase-candles, CandleSchema');
    expect(text.out).not.to.include('SYNTHETIC');
    expect(r.history.loss[2]!).to.be.below(r.history.loss[0]!);
    expect(r.series.map((s) => s.name)).to.deep.equal(['price']);
    for (const m of Object.values(r.series[0]!.metrics)) {
      expect(m.mae).to.be.finite.and.above(0);
      expect(m.rmse).to.be.finite.and.at.least(m.mae);
    }
  });
});

describe('examples: npm start as a process', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  it('examples/main.ts exits 0 and prints the comparison and the plot paths; a bad flag exits 1 with the reason', async () => {
    const { spawnSync } = await import('node:child_process');
    const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
    const ok = spawnSync(tsx, ['examples/main.ts', '--hours', '800', '--epochs', '1', '--window', '12', '--units', '4', '--out', tmp()], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.include('SYNTHETIC DATA');
    expect(ok.stdout).to.match(/persistence \(next = last\)/);
    expect(ok.stdout).to.include(join(tmp(), 'plots', 'forecast-solana-usd.png'));
    const bad = spawnSync(tsx, ['examples/main.ts', '--source', 'nowhere', '--out', tmp()], { encoding: 'utf8' });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.include('--source must be synthetic or coingecko; received "nowhere"');
  });
});
