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

  it('runs the whole synthetic pipeline offline at a reduced size: store, analytics, training, three-way comparison, plots, saved model, forecast', async () => {
    const { io, text } = captured();
    const r = (await runTrainLstm(['--hours', '1500', '--epochs', '2', '--window', '24', '--units', '8', '--out', tmp()], io))!;
    expect(r.label).to.match(/^SYNTHETIC DATA \(seed 42\)/);
    expect(r.backend).to.be.oneOf(['tensorflow', 'wasm', 'cpu']);
    expect(r.history.loss).to.have.length(2);
    const out = text.out;
    // Labelled as synthetic, with the backend, per-epoch progress (not a TTY: lines, no bar), the comparison and the plots.
    expect(out).to.match(/^\[SYNTHETIC DATA \(seed 42\), not real market prices\] 1500 hourly/);
    expect(out).to.match(/backend: (tensorflow|wasm|cpu)/);
    expect(out).to.match(/epoch 1\/2: loss [\d.]+, val_loss [\d.]+/);
    expect(out).not.to.include('\u001b[');
    expect(out).to.match(/LSTM\s+[\d,]+\.\d\d\s+[\d,]+\.\d\d\npersistence \(next = last\)\s+[\d,]+\.\d\d\s+[\d,]+\.\d\d\nmoving average \(24 points\)/);
    expect(out).to.match(/(Winner|Split decision): /);
    for (const f of r.plots) {
      expect(existsSync(f), f).to.equal(true);
      expect(out).to.include(f.replace(/\.svg$/, '.png'));
    }
    expect(r.plots.map((f) => f.slice(f.lastIndexOf('/') + 1))).to.deep.equal(['price.svg', 'price.png', 'volatility.svg', 'volatility.png', 'forecast.svg', 'forecast.png']);
    for (const f of ['model.json', 'weights.bin', 'forecaster.json']) expect(statSync(join(r.modelDir, f)).size).to.be.above(100);
    expect(r.nextPrice).to.be.finite;
    for (const m of Object.values(r.metrics)) expect(m.mae).to.be.finite;
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
    for (const m of Object.values(r.metrics)) {
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
    expect(ok.stdout).to.include(join(tmp(), 'plots', 'forecast.png'));
    const bad = spawnSync(tsx, ['examples/main.ts', '--source', 'nowhere', '--out', tmp()], { encoding: 'utf8' });
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.include('--source must be synthetic or coingecko; received "nowhere"');
  });
});
