import { expect } from 'chai';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, makeBatchReader, materializeDataset, openStore } from '../../../src/index.js';
import { forecastLive, loadForecaster, type LiveTick, type LiveVersion, MarketSchema, saveForecaster, trainForecaster, trainLive } from '../../../src/forecasting/index.js';
import { windowOptions } from '../../../src/forecasting/forecast/train.js';
import { datasetWindows } from '../../windowing/helpers.js';
import { createPrng } from '../../../src/windowing/prng.js';
import { ScriptChild } from '../../reliability/child-process.js';
import { useTmpDir } from '../../tmp-dir.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const COINS = ['bitcoin', 'ethereum', 'solana'];
type Row = { coin: string; vs: string; timestamp: Date; price: number; market_cap: number; price_change_24h: number | null; total_volume: number | null };

/** Tick after tick, one row per coin (a random walk each), as `tfpl ingest --store` appends them. */
function ticks(seed: number, from: number, n: number): Row[][] {
  const rng = createPrng(seed);
  const price: Record<string, number> = { bitcoin: 40_000, ethereum: 2_000, solana: 100 };
  const out: Row[][] = [];
  for (let t = 0; t < from + n; t++) {
    const rows = COINS.map((coin) => {
      price[coin]! *= Math.exp((rng.nextInt(2001) - 1000) / 40_000);
      return { coin, vs: 'usd', timestamp: new Date(T0 + t * HOUR + rng.nextInt(300_000)), price: price[coin]!, market_cap: price[coin]! * 1e6, price_change_24h: null, total_volume: null };
    });
    if (t >= from) out.push(rows);
  }
  return out;
}

const append = (dir: string, rows: Row[]) => materializeDataset(dir, MarketSchema, rows, { mode: 'append', rowGroupSize: 4096 });

/** Rows of a store as plain objects. */
async function rowsOf(url: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const b of await makeBatchReader(url, { workers: 0 })) {
    for (let i = 0; i < b.numRows; i++) out.push(Object.fromEntries(Object.entries(b.columns).map(([k, c]) => [k, (c as ArrayLike<unknown>)[i]])));
  }
  return out;
}

/**
 * The forecasts store checked against the prices alone: every row of a series from `firstIssued` on has
 * exactly one forecast; every forecast whose next row exists has exactly one score, its errors the forecasts
 * minus that row's price, its rolling MAE / RMSE those of the series' last 24 scores.
 */
async function verify(prices: string, forecasts: string, firstIssued: Map<string, number>): Promise<{ forecasts: number; scores: number }> {
  const bySeries = new Map<string, { ts: number; price: number }[]>();
  for (const r of await rowsOf(prices)) {
    const k = r.coin as string;
    bySeries.set(k, [...(bySeries.get(k) ?? []), { ts: r.timestamp as number, price: r.price as number }]);
  }
  const rows = await rowsOf(forecasts);
  let nf = 0;
  let ns = 0;
  for (const [coin, series] of bySeries) {
    series.sort((a, b) => a.ts - b.ts);
    const issued = rows.filter((r) => r.coin === coin && r.kind === 'forecast');
    const scores = rows.filter((r) => r.coin === coin && r.kind === 'score').sort((a, b) => (a.target_time as number) - (b.target_time as number));
    const expected = series.filter((p) => p.ts >= firstIssued.get(coin)!).map((p) => p.ts);
    expect(issued.map((r) => r.issued_at as number).sort((a, b) => a - b), `${coin}: one forecast per row`).to.deep.equal(expected);
    const sq: number[] = [];
    const abs: number[] = [];
    for (const sc of scores) {
      const at = series.findIndex((p) => p.ts === sc.issued_at);
      const target = series[at + (sc.horizon as number)]!;
      const f = issued.find((r) => r.issued_at === sc.issued_at)!;
      expect(sc.target_time).to.equal(target.ts);
      expect(sc.actual).to.equal(target.price);
      expect(sc.error_model).to.equal((f.forecast as number) - target.price);
      expect(sc.error_persistence).to.equal((f.persistence as number) - target.price);
      abs.push(Math.abs(sc.error_model as number));
      sq.push((sc.error_model as number) ** 2);
      const last = abs.slice(-24);
      expect(sc.mae_model as number).to.be.closeTo(last.reduce((a, b) => a + b, 0) / last.length, 1e-9 * (1 + (sc.mae_model as number)));
      const lastSq = sq.slice(-24);
      expect(sc.rmse_model as number).to.be.closeTo(Math.sqrt(lastSq.reduce((a, b) => a + b, 0) / lastSq.length), 1e-9 * (1 + (sc.rmse_model as number)));
    }
    // Every forecast whose target row exists was scored, once.
    const scorable = issued.filter((r) => series.findIndex((p) => p.ts === r.issued_at) + 1 < series.length);
    expect(scores.map((r) => r.issued_at), `${coin}: one score per forecast whose row came`).to.deep.equal(scorable.map((r) => r.issued_at).sort((a, b) => (a as number) - (b as number)));
    nf += issued.length;
    ns += scores.length;
  }
  return { forecasts: nf, scores: ns };
}

describe('forecastLive (tfpl predict --follow): every new row forecast once, every forecast scored once', function () {
  this.timeout(240_000);
  const tmp = useTmpDir();
  let modelDir: string;
  let history: Row[][];
  // The model is trained once for the file: useTmpDir's folders are made per test.
  let shared: string;

  before(async () => {
    shared = mkdtempSync(join(tmpdir(), 'tfpl-live-'));
    await initBackend('cpu');
    history = ticks(1, 0, 120);
    const train = join(shared, 'train-store');
    for (let k = 0; k < history.length; k += 40) await append(train, history.slice(k, k + 40).flat());
    const trained = await trainForecaster(train, { epochs: 1, windowSize: 8, units: 4, priceColumn: 'price', seriesColumns: ['coin', 'vs'], seed: 1 });
    modelDir = join(shared, 'model');
    await saveForecaster(modelDir, trained);
    trained.model.dispose();
  });
  after(() => rmSync(shared, { recursive: true, force: true }));

  it('follows a store a collector appends to: forecasts each new row, scores each forecast when its row lands, as the prices say', async () => {
    const prices = join(tmp(), 'prices');
    const forecasts = join(tmp(), 'forecasts');
    for (const rows of history) await append(prices, rows);
    const first = new Map(COINS.map((c) => [c, history.at(-1)!.find((r) => r.coin === c)!.timestamp.getTime()]));
    const stop = new AbortController();
    const seen: LiveTick[] = [];
    const live = forecastLive(modelDir, prices, { forecasts, intervalMs: 20, signal: stop.signal, onTick: (t) => seen.push(t) });
    const more = ticks(1, 120, 25);
    for (const rows of more) {
      await append(prices, rows);
      await new Promise((r) => setTimeout(r, 15));
    }
    const lastRow = more.at(-1)![0]!.timestamp.getTime();
    for (const end = Date.now() + 20_000; !seen.some((t) => t.forecasts.some((f) => f.issuedAt === lastRow)); ) {
      if (Date.now() > end) throw new Error('the last row was not forecast within 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort();
    const totals = await live;
    const counts = await verify(prices, forecasts, first);
    expect(counts.forecasts).to.equal(3 * 26);
    expect(counts.scores).to.equal(3 * 25);
    expect(totals.forecasts).to.equal(counts.forecasts);
    const latency = seen.filter((t) => t.tick > 0 && t.forecasts.length).map((t) => t.committedAt - t.readAt);
    expect(latency.length).to.be.greaterThan(2);
  });

  it('killed at random points and restarted, it forecasts every row exactly once and scores every forecast once', async () => {
    const prices = join(tmp(), 'prices');
    const forecasts = join(tmp(), 'forecasts');
    for (const rows of history) await append(prices, rows);
    const first = new Map(COINS.map((c) => [c, history.at(-1)!.find((r) => r.coin === c)!.timestamp.getTime()]));
    const more = ticks(1, 120, 40);
    const rng = createPrng(99);
    let written = 0;
    for (let trial = 0; trial < 4; trial++) {
      const child = await ScriptChild.start('live-forecast-child.ts', [modelDir, prices, forecasts], {}, { bundle: false });
      // Once it has read the store as found (the first run forecasts from each series' newest row), rows come.
      await child.waitForLine((l) => l.startsWith('tick 0 '));
      const writer = (async () => {
        for (let k = 0; k < 10 && written < more.length; k++) {
          await append(prices, more[written++]!);
          await new Promise((r) => setTimeout(r, 10 + rng.nextInt(40)));
        }
      })();
      // Killed after a number of ticks, or after a random time (while it reads, forecasts or commits).
      const after = rng.nextInt(4);
      // Commits landing between two looks are read as one: the tick may never come once the writer is done.
      const writerDone = writer.then(() => new Promise((r) => setTimeout(r, 300)));
      if (after > 0) await Promise.race([child.waitForLine((l) => l.startsWith(`tick ${after} `)).catch(() => {}), writerDone]);
      else await new Promise((r) => setTimeout(r, rng.nextInt(400)));
      child.kill('SIGKILL');
      await child.exited;
      await writer;
    }
    // A last run that catches up on what came while it was down, then stops by itself.
    while (written < more.length) await append(prices, more[written++]!);
    const last = await ScriptChild.start('live-forecast-child.ts', [modelDir, prices, forecasts, '0'], {}, { bundle: false });
    expect((await last.exited).code, last.stderr).to.equal(0);
    const counts = await verify(prices, forecasts, first);
    expect(counts.forecasts).to.equal(3 * 41);
    expect(counts.scores).to.equal(3 * 40);
    expect((await openStore(forecasts)).numRows).to.equal(counts.forecasts + counts.scores);
  });

  it('train --follow: each version trained on the windows new commits brought, each once across a restart; a live forecaster takes each version up between ticks', async () => {
    const prices = join(tmp(), 'prices');
    const forecasts = join(tmp(), 'forecasts');
    const model = join(tmp(), 'model');
    cpSync(modelDir, model, { recursive: true });
    for (const rows of history) await append(prices, rows);
    const { config, normalization } = await loadForecaster(model).then((f) => (f.model.dispose(), f));
    const { split: _s, ...windows } = windowOptions(config);
    const windowCount = async () => (await datasetWindows(prices, { ...windows, normalization })).length;
    const initial = await windowCount();
    const stop = new AbortController();
    const seen: LiveTick[] = [];
    const live = forecastLive(model, prices, { forecasts, intervalMs: 20, signal: stop.signal, onTick: (t) => seen.push(t) });
    const versions: LiveVersion[] = [];
    const more = ticks(1, 120, 40);
    const trainer = trainLive(model, prices, { everyMs: 150, versions: 2, intervalMs: 20, onVersion: (v) => versions.push(v) });
    let written = 0;
    // Rows keep coming until the trainer has saved its two versions.
    let trained = false;
    void trainer.then(() => (trained = true), () => (trained = true));
    while (!trained && written < 30) {
      await append(prices, more[written++]!);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await trainer).to.deep.include({ versions: 2 });
    // Restarted, it goes on after the windows of version 2: its version waits for every window left (a version
    // is saved with what was followed by then, and a loaded machine follows slower), or gives up after 60 s.
    while (written < more.length) await append(prices, more[written++]!);
    const final = await windowCount();
    const left = final - initial - versions.reduce((n, v) => n + v.windows, 0);
    expect(left).to.be.greaterThan(0);
    expect(await trainLive(model, prices, { everyMs: 100, minWindows: left, versions: 1, intervalMs: 20, signal: AbortSignal.timeout(60_000), onVersion: (v) => versions.push(v) })).to.deep.include({ versions: 1 });
    expect(versions.map((v) => v.version)).to.deep.equal(['1', '2', '3']);
    expect(versions.reduce((n, v) => n + v.windows, 0), 'every window of the new commits trained on once').to.equal(final - initial);
    expect(versions.at(-1)!.windowsFollowed - versions[0]!.windowsFollowed + versions[0]!.windows).to.equal(final - initial);
    expect(versions.every((v) => Number.isFinite(v.loss))).to.equal(true);
    expect(readFileSync(join(model, 'CURRENT'), 'utf8').trim()).to.equal('3');
    for (const v of ['1', '2', '3']) expect(existsSync(join(model, 'versions', v, 'model.json')), `version ${v}`).to.equal(true);
    // One more row after the last version: the forecaster forecasts it with version 3.
    await append(prices, ticks(1, 160, 1)[0]!);
    const lastRow = ticks(1, 160, 1)[0]![0]!.timestamp.getTime();
    for (const end = Date.now() + 20_000; !seen.some((t) => t.forecasts.some((f) => f.issuedAt === lastRow)); ) {
      if (Date.now() > end) throw new Error('the last row was not forecast within 20 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort();
    await live;
    expect(seen.find((t) => t.forecasts.some((f) => f.issuedAt === lastRow))!.modelVersion).to.equal('3');
    const used = new Set((await rowsOf(forecasts)).map((r) => r.model_version));
    expect(used.has('0') && used.has('3'), `model versions in the forecasts store: ${[...used].join(', ')}`).to.equal(true);
  });
});
