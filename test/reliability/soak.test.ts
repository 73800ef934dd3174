import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CoinGeckoClient } from '../../src/ingest/coingecko-client.js';
import { collect } from '../../src/ingest/collector.js';
import { CSV_HEADER } from '../../src/ingest/price-row.js';
import { mulberry32 } from '../../src/prng.js';
import { ReplayServer, SIMPLE_PRICE_FILE, type ReplayStep, recorded } from '../ingest/replay-server.js';
import { needFiles, sharedData } from '../shared-data.js';
import { useTmpDir } from '../tmp-dir.js';
import { reliabilityCounts } from './counts.js';

/**
 * Soak: the collector against the local replay server, 5 % of the answers faulty (HTTP 5xx/429, error bodies,
 * broken or incomplete JSON, dropped connections, answers that never finish, stale prices), for thousands of
 * ticks at a few milliseconds each. Checks: every tick accounted for on the original grid, one request per
 * tick that ran, every good answer that arrived in its slot written exactly once, nothing else written, and
 * no growth of the heap or of live handles (timers, sockets, listeners) from the first quarter to the end.
 *
 * TFPL_SOAK=1 runs 40,000 ticks instead of 2,000 (4 minutes) for the note.
 */

const TICKS = process.env.TFPL_SOAK === '1' ? 40_000 : 2_000;
const INTERVAL_MS = 6;
const FAULT_RATE = 0.05;
const T0 = 1_711_356_300;

function gcFunction(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

/**
 * The collector's own live handles: timers and sockets. (Other kinds come and go with what earlier test files
 * in this process left behind, e.g. decode threads being stopped.)
 */
const timersAndSockets = (): string[] => process.getActiveResourcesInfo().filter((t) => t === 'Timeout' || t.startsWith('TCP') || t === 'Immediate');

describe('reliability: collector soak', function () {
  this.timeout(TICKS * INTERVAL_MS * 3 + 60_000);
  const tmp = useTmpDir();

  it(`${TICKS} ticks at ${INTERVAL_MS} ms with ${FAULT_RATE * 100} % injected faults: schedule kept, no good row lost, no growth`, async function () {
    const data = sharedData(this, 'coingecko');
    needFiles(this, data, SIMPLE_PRICE_FILE);
    const base = (JSON.parse(recorded(data, SIMPLE_PRICE_FILE)) as { bitcoin: Record<string, number> }).bitcoin;
    const rng = mulberry32(5_005);
    const server = await ReplayServer.start();
    const arrivals: number[] = []; // the first request's arrival only
    const faults = new Map<string, number>();
    const good = new Set<number>();
    let n = 0;
    let last = T0; // newest timestamp served
    let lastGood = T0; // newest timestamp served in a good answer
    const FAULTS: [string, () => ReplayStep][] = [
      ['http-500', () => ({ status: 500, headers: { 'content-type': 'text/html' }, body: '<html><title>500 Internal Server Error</title></html>' })],
      ['http-429', () => ({ status: 429, headers: { 'retry-after': '30' }, body: '{"status":{"error_code":429,"error_message":"You\'ve exceeded the Rate Limit."}}' })],
      ['error-body-200', () => ({ body: '{"status":{"error_code":10002,"error_message":"API Key Missing"}}' })],
      ['truncated-json', () => ({ body: '{"bitcoin":{"usd":67190.1,"usd_market_cap":' })],
      // a newer timestamp that must not become a row (and is not reused: the next good answer is later still)
      ['missing-field', () => ({ body: JSON.stringify({ bitcoin: { ...base, usd: undefined, last_updated_at: (last += 1) } }) })],
      ['wrong-type', () => ({ body: JSON.stringify({ bitcoin: { ...base, usd: 'NaN', last_updated_at: (last += 1) } }) })],
      // the newest good answer again: a duplicate
      ['stale-price', () => ({ body: JSON.stringify({ bitcoin: { ...base, last_updated_at: lastGood } }) })],
      ['drop', () => ({ fault: 'drop' })],
      ['hang', () => ({ fault: 'hang' })],
    ];
    server.route('/simple/price', () => {
      // the replay server records every request; in a soak that record would be the growth we measure
      server.requests.length = 0;
      if (arrivals.length === 0) arrivals.push(Date.now());
      n++;
      if (rng() < FAULT_RATE) {
        const [kind, step] = FAULTS[Math.floor(rng() * FAULTS.length)]!;
        faults.set(kind, (faults.get(kind) ?? 0) + 1);
        return step();
      }
      last += 1 + Math.floor(rng() * 60);
      lastGood = last;
      good.add(last * 1000);
      return { body: JSON.stringify({ bitcoin: { ...base, usd: 60_000 + n / 8, last_updated_at: last } }) };
    });

    const gc = gcFunction();
    const csvPath = join(tmp(), 'soak.csv');
    const client = new CoinGeckoClient({ baseUrl: server.baseUrl, maxRetries: 0, timeoutMs: 10_000, callsPerMinute: 6_000_000, log: () => {} });
    const reasons = new Map<string, number>();
    const written: number[] = [];
    let warm: { heap: number; handles: string[] } = { heap: 0, handles: [] };
    const heapSamples: number[] = [];
    const startAt = Date.now() + 50;
    const result = await collect({
      client,
      csvPath,
      intervalMs: INTERVAL_MS,
      count: TICKS,
      startAt,
      log: () => {},
      onTick: (t) => {
        // keep only what the checks need (not the reports themselves, which would grow the heap)
        if (t.outcome === 'written') written.push(t.row!.timestamp);
        else if (t.reason) reasons.set(`${t.outcome}:${t.reason}`, (reasons.get(`${t.outcome}:${t.reason}`) ?? 0) + 1);
        expect(t.due, `tick ${t.tick} due`).to.equal(startAt + t.tick * INTERVAL_MS);
        if (t.tick > 0 && t.tick % Math.floor(TICKS / 8) === 0) {
          gc();
          heapSamples.push(process.memoryUsage().heapUsed);
          if (t.tick === 2 * Math.floor(TICKS / 8)) warm = { heap: heapSamples.at(-1)!, handles: timersAndSockets() };
          // The most handles alive at once in the first half: requests in flight (and hanging ones) vary with the load.
          if (t.tick <= 4 * Math.floor(TICKS / 8) && timersAndSockets().length > warm.handles.length) warm.handles = timersAndSockets();
        }
      },
    });
    gc();
    const end = { heap: process.memoryUsage().heapUsed, handles: timersAndSockets() };
    // The sockets of the last answers close a moment later on a loaded machine; handles that accumulated do not.
    for (let i = 0; i < 40 && end.handles.length > warm.handles.length + 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      end.handles = timersAndSockets();
    }
    await server.close();

    // every tick accounted for, in order, on the grid
    expect(result.ticks).to.equal(TICKS);
    expect(result.written + result.duplicates + result.skipped + result.missed).to.equal(TICKS);
    // at most one request per tick that ran (no retries configured; a call abandoned at its slot's end may
    // never have reached the server), none before its tick was due
    expect(n).to.be.at.most(TICKS - result.missed);
    expect(TICKS - result.missed - n).to.be.at.most(reasons.get('skipped:deadline') ?? 0);
    expect(arrivals[0]).to.be.at.least(startAt);

    // the CSV holds exactly the rows reported written, each a good answer, in order, once
    const lines = readFileSync(csvPath, 'utf8').split('\n');
    expect(lines[0]).to.equal(CSV_HEADER);
    expect(lines.at(-1)).to.equal('');
    const stored = lines.slice(1, -1).map((l) => Date.parse(l.slice(0, l.indexOf(','))));
    expect(stored).to.deep.equal(written);
    for (const t of stored) expect(good.has(t), `stored ${t} was a good answer`).to.equal(true);
    // a good answer is only ever missing when its call was abandoned at the end of its slot
    const writtenSet = new Set(written);
    const lateGood = [...good].filter((t) => !writtenSet.has(t)).length;
    const deadlineSkips = reasons.get('skipped:deadline') ?? 0;
    const hangs = faults.get('hang') ?? 0;
    expect(lateGood, 'good answers not written').to.be.at.most(Math.max(0, deadlineSkips - hangs) + (reasons.get('skipped:timeout') ?? 0));
    // only a stale answer can be a duplicate (it becomes a row only when the good answer it repeats was abandoned)
    expect(result.duplicates).to.be.at.most(faults.get('stale-price') ?? 0);

    // memory: the heap after the run is within 8 MB of the heap a quarter in; no handle accumulated (the end holds at
    // most 2 more than the most seen at once in the first half)
    const growth = end.heap - warm.heap;
    expect(growth, `heap ${warm.heap} -> ${end.heap}`).to.be.below(8 * 1024 * 1024);
    expect(end.handles.length, `live handles (timers, sockets): ${warm.handles.join(', ')} at most in the first half, ${end.handles.join(', ')} at the end`).to.be.at.most(warm.handles.length + 2);

    const injected = [...faults.values()].reduce((a, b) => a + b, 0);
    reliabilityCounts.add('soak.ticks', TICKS);
    reliabilityCounts.add('soak.faultsInjected', injected);
    reliabilityCounts.add('soak.rowsWritten', result.written);
    reliabilityCounts.add('soak.missedTicks', result.missed);
    reliabilityCounts.add('soak.goodAnswersAbandonedLate', lateGood);
    reliabilityCounts.add('soak.rowsLost', 0);
    console.log(`      soak: ${TICKS} ticks, ${injected} faults injected (${[...faults].map(([k, v]) => `${k} ${v}`).join(', ')}); ` +
      `${result.written} written, ${result.duplicates} unchanged, ${result.skipped} skipped, ${result.missed} missed; ` +
      `${lateGood} good answers abandoned at their slot's end; heap after GC every ${Math.floor(TICKS / 8)} ticks (MB): ${heapSamples.map((h) => (h / 1e6).toFixed(1)).join(' ')} -> ${(end.heap / 1e6).toFixed(1)}`);
  });
});
