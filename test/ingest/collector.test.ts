import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { CoinGeckoClient } from '../../src/ingest/coingecko-client.js';
import { type SimplePriceSource, type TickReport, collect } from '../../src/ingest/collector.js';
import type { IngestLogEvent } from '../../src/ingest/log.js';
import { CSV_HEADER, type PriceRow } from '../../src/ingest/price-row.js';
import type { RowSink } from '../../src/ingest/row-sink.js';
import { CsvRowSink } from '../../src/ingest/csv-sink.js';
import { needFiles, sharedData } from '../shared-data.js';
import { FakeClock, ReplayServer, recorded, SIMPLE_PRICE_FILE, simplePriceBody } from './replay-server.js';

const PRICE = '/simple/price';
const T0 = 1711356300; // last_updated_at of the recorded response (2024-03-25T08:45:00Z)
const START = T0 * 1000 + 30_000;
const MINUTE = 60_000;

describe('collect', function () {
  let dir: string;
  let tmp: string;
  let server: ReplayServer;
  let clock: FakeClock;
  let events: IngestLogEvent[];
  let ticks: TickReport[];

  before(function () {
    dir = sharedData(this, 'coingecko');
    needFiles(this, dir, SIMPLE_PRICE_FILE); // every response here is a variation of it
  });
  beforeEach(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tfpl-collect-'));
    server = await ReplayServer.start();
    clock = new FakeClock(START - 12_345);
    events = [];
    ticks = [];
  });
  afterEach(async () => {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const client = (timeoutMs = 200) => new CoinGeckoClient({ baseUrl: server.baseUrl, clock, maxRetries: 0, timeoutMs, callsPerMinute: 6000, log: (e) => events.push(e) });
  const good = (at: number, changes: Record<string, unknown> = {}) => ({ body: simplePriceBody(dir, { last_updated_at: at, ...changes }) });
  const run = (csvPath: string, count: number, startAt = START) =>
    collect({ client: client(), intervalMs: MINUTE, count, startAt, csvPath, clock, log: (e) => events.push(e), onTick: (t) => ticks.push(t) });

  it('writes exactly the good rows, skips each bad response with its reason, and keeps its schedule', async function () {
    needFiles(this, dir, 'errors/429_cloudflare-rate-limit_error-code-1015.txt', SIMPLE_PRICE_FILE);
    server.queue(
      PRICE,
      good(T0),
      { status: 429, headers: { 'content-type': 'text/plain' }, body: recorded(dir, 'errors/429_cloudflare-rate-limit_error-code-1015.txt') },
      { status: 503, headers: { 'content-type': 'text/html' }, body: '<html><head><title>503 Service Unavailable</title></head><body></body></html>' },
      { body: '{"bitcoin":{"usd":67190.1,"usd_market_cap":' },
      { body: simplePriceBody(dir, { last_updated_at: T0 + 180 }, ['usd_market_cap']) },
      good(T0 + 240, { usd: 67201.5, usd_24h_change: null }),
      good(T0 + 240, { usd: 67201.5, usd_24h_change: null }),
      { fault: 'hang' },
      { fault: 'drop' },
      good(T0 + 540, { usd: 67250.25, usd_24h_vol: null }),
    );
    const csvPath = join(tmp, 'btc.csv');
    const result = await run(csvPath, 10);

    expect(readFileSync(csvPath, 'utf8')).to.equal(
      [
        CSV_HEADER,
        '2024-03-25T08:45:00.000Z,67187.3358936566,1317802988326.25,3.63727894677354,31260929299.5248',
        '2024-03-25T08:49:00.000Z,67201.5,1317802988326.25,,31260929299.5248',
        '2024-03-25T08:54:00.000Z,67250.25,1317802988326.25,3.63727894677354,',
        '',
      ].join('\n'),
    );
    expect(ticks.map((t) => [t.tick, t.due - START, t.outcome, t.reason])).to.deep.equal([
      [0, 0, 'written', undefined],
      [1, MINUTE, 'skipped', 'rate-limited'],
      [2, 2 * MINUTE, 'skipped', 'http-status'],
      [3, 3 * MINUTE, 'skipped', 'invalid-body'],
      [4, 4 * MINUTE, 'skipped', 'invalid-body'],
      [5, 5 * MINUTE, 'written', undefined],
      [6, 6 * MINUTE, 'duplicate', 'duplicate-timestamp'],
      [7, 7 * MINUTE, 'skipped', 'timeout'],
      [8, 8 * MINUTE, 'skipped', 'network'],
      [9, 9 * MINUTE, 'written', undefined],
    ]);
    expect(ticks.filter((t) => t.outcome === 'skipped').map((t) => t.message!.replace(/^CoinGecko GET \/simple\/price\?\S+ failed: /, ''))).to.deep.equal([
      'HTTP 429 (error_code 1015: error code: 1015)',
      'HTTP 503 (HTML page: 503 Service Unavailable)',
      'HTTP 200 body is not JSON: "{\\"bitcoin\\":{\\"usd\\":67190.1,\\"usd_market_cap\\":"',
      'unexpected response: field bitcoin.usd_market_cap is missing',
      'no complete response within 200 ms (HTTP 200 headers received)',
      'network error: UND_ERR_SOCKET',
    ]);
    expect(result).to.deep.equal({ ticks: 10, written: 3, duplicates: 1, skipped: 6, missed: 0, lastTimestamp: (T0 + 540) * 1000 });
    expect(server.requests).to.have.length(10);
    // the clock only ever waited for the next due time: it ends exactly at the last tick
    expect(clock.t).to.equal(START + 9 * MINUTE);
    const skipEvents = events.filter((e) => e.message.includes('skipped'));
    expect(skipEvents.map((e) => [e.level, e.reason])).to.deep.equal(ticks.filter((t) => t.outcome === 'skipped').map((t) => ['warn', t.reason]));
  });

  it('appends to an existing CSV on restart without repeating a timestamp', async () => {
    const csvPath = join(tmp, 'btc.csv');
    server.queue(PRICE, good(T0), good(T0 + 60));
    await run(csvPath, 2);
    server.queue(PRICE, good(T0 + 60), good(T0 + 120));
    ticks = [];
    await run(csvPath, 2, START + 10 * MINUTE);
    expect(ticks.map((t) => t.outcome)).to.deep.equal(['duplicate', 'written']);
    const stamps = readFileSync(csvPath, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(stamps).to.deep.equal(['2024-03-25T08:45:00.000Z', '2024-03-25T08:46:00.000Z', '2024-03-25T08:47:00.000Z']);
  });

  it('does not let a Retry-After longer than the slot delay the next tick', async function () {
    needFiles(this, dir, 'errors/429_rate-limit.json');
    server.queue(PRICE, { status: 429, headers: { 'retry-after': '119' }, body: recorded(dir, 'errors/429_rate-limit.json') }, good(T0 + 60));
    const retrying = new CoinGeckoClient({ baseUrl: server.baseUrl, clock, maxRetries: 3, callsPerMinute: 6000, log: (e) => events.push(e) });
    await collect({ client: retrying, intervalMs: MINUTE, count: 2, startAt: START, csvPath: join(tmp, 'btc.csv'), clock, log: () => {}, onTick: (t) => ticks.push(t) });
    expect(ticks.map((t) => [t.due - START, t.outcome, t.reason])).to.deep.equal([
      [0, 'skipped', 'rate-limited'],
      [MINUTE, 'written', undefined],
    ]);
    expect(server.requests).to.have.length(2);
    expect(events.map((e) => e.message)).to.satisfy((m: string[]) => m.some((s) => s.includes('no retry: waiting 119000 ms would pass the deadline')));
  });

  it('reports slots that passed during a slow call as missed and runs later ticks on their original schedule', async () => {
    const callTimes: number[] = [];
    const slow: SimplePriceSource = {
      async simplePrice() {
        callTimes.push(clock.t - START);
        if (callTimes.length === 2) clock.t += 2.5 * MINUTE; // tick 1 returns in the middle of tick 3's slot
        return { bitcoin: { timestamp: START + callTimes.length, price_usd: callTimes.length, market_cap: 1, price_change_24h: null, total_volume: null } };
      },
    };
    const stored: PriceRow[] = [];
    const sink: RowSink = { lastTimestamp: async () => stored.at(-1)?.timestamp ?? null, append: async (rows) => void stored.push(...rows) };
    const result = await collect({ client: slow, intervalMs: MINUTE, count: 6, startAt: START, sink, clock, log: () => {}, onTick: (t) => ticks.push(t) });
    expect(ticks.map((t) => [t.tick, t.due - START, t.outcome])).to.deep.equal([
      [0, 0, 'written'],
      [1, MINUTE, 'written'],
      [2, 2 * MINUTE, 'missed'],
      [3, 3 * MINUTE, 'written'],
      [4, 4 * MINUTE, 'written'],
      [5, 5 * MINUTE, 'written'],
    ]);
    // tick 3 starts late but inside its own slot; tick 4 is back on the grid
    expect(callTimes).to.deep.equal([0, MINUTE, 3.5 * MINUTE, 4 * MINUTE, 5 * MINUTE]);
    expect(stored.map((r) => r.price_usd)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(result.missed).to.equal(1);
  });

  it('reports a long stall as missed ticks with one log line and resumes on the grid', async () => {
    const callTimes: number[] = [];
    const stalling: SimplePriceSource = {
      async simplePrice() {
        callTimes.push(clock.t - START);
        if (callTimes.length === 1) clock.t += 1000 * MINUTE + 1; // e.g. the machine slept
        return { bitcoin: { timestamp: START + callTimes.length, price_usd: 1, market_cap: 1, price_change_24h: null, total_volume: null } };
      },
    };
    const logged: IngestLogEvent[] = [];
    const result = await collect({ client: stalling, intervalMs: MINUTE, count: 1003, startAt: START, sink: { lastTimestamp: async () => null, append: async () => {} }, clock, log: (e) => logged.push(e), onTick: (t) => ticks.push(t) });
    expect(result).to.include({ ticks: 1003, written: 4, missed: 999 });
    // tick 1000 starts 1 ms into its own slot, so it still runs
    expect(callTimes).to.deep.equal([0, 1000 * MINUTE + 1, 1001 * MINUTE, 1002 * MINUTE]);
    expect(ticks.map((t) => t.due - START)).to.deep.equal(Array.from({ length: 1003 }, (_, k) => k * MINUTE));
    expect(logged.filter((e) => e.reason === 'missed').map((e) => e.message)).to.deep.equal([
      'collect: ticks 1..999 (due from 2024-03-25T08:46:30.000Z) missed: their slots ended before they could start',
    ]);
  });

  it('on abort finishes the write in progress and returns cleanly', async () => {
    const controller = new AbortController();
    server.route(PRICE, () => good(T0 + server.requests.length * 60));
    const stored: PriceRow[] = [];
    const sink: RowSink = {
      lastTimestamp: async () => stored.at(-1)?.timestamp ?? null,
      append: async (rows) => {
        if (stored.length === 1) controller.abort(); // SIGINT arrives during the second write
        await new Promise((resolve) => setImmediate(resolve));
        stored.push(...rows);
      },
    };
    const result = await collect({ client: client(), intervalMs: MINUTE, startAt: START, sink, clock, signal: controller.signal, log: () => {} });
    expect(stored.map((r) => r.timestamp)).to.deep.equal([(T0 + 60) * 1000, (T0 + 120) * 1000]);
    expect(result).to.include({ ticks: 2, written: 2 });
    expect(server.requests).to.have.length(2);
  });

  it('stops at until, and checks its options before any I/O', async () => {
    server.route(PRICE, () => good(T0 + server.requests.length));
    const result = await collect({ client: client(), intervalMs: MINUTE, startAt: START, until: START + 3 * MINUTE, sink: { lastTimestamp: async () => null, append: async () => {} }, clock, log: () => {} });
    expect(result.ticks).to.equal(3);
    let error: unknown;
    try {
      await collect({ client: client(), intervalMs: 0, csvPath: join(tmp, 'never.csv') });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.equal('collect: intervalMs must be an integer >= 1; received 0');
  });

  it('keeps a real 100 ms schedule against the local server, abandoning a hung call at the next tick', async () => {
    server.queue(PRICE, good(T0), { fault: 'hang' }, good(T0 + 60), good(T0 + 120));
    const csvPath = join(tmp, 'btc.csv');
    const sink = await CsvRowSink.open(csvPath);
    const real = new CoinGeckoClient({ baseUrl: server.baseUrl, maxRetries: 0, timeoutMs: 10_000, callsPerMinute: 60_000, log: () => {} });
    // headroom before tick 0 so that a loaded machine still reaches it within its slot
    const startAt = Date.now() + 250;
    await collect({ client: real, intervalMs: 100, count: 4, startAt, sink, log: () => {}, onTick: (t) => ticks.push(t) });
    expect(ticks.map((t) => [t.tick, t.due - startAt, t.outcome, t.reason])).to.deep.equal([
      [0, 0, 'written', undefined],
      [1, 100, 'skipped', 'deadline'],
      [2, 200, 'written', undefined],
      [3, 300, 'written', undefined],
    ]);
    expect(readFileSync(csvPath, 'utf8').trim().split('\n').map((l) => l.split(',')[0])).to.deep.equal(['timestamp', '2024-03-25T08:45:00.000Z', '2024-03-25T08:46:00.000Z', '2024-03-25T08:47:00.000Z']);
  });

  it('warns when the interval is shorter than the rate limit allows, and skips the ticks the limiter has no slot for', async () => {
    server.route(PRICE, () => good(T0 + 60 * server.requests.length));
    // one call per minute, a tick every 25 s: slots at 0, 60 and 120 s
    const limited = new CoinGeckoClient({ baseUrl: server.baseUrl, clock, maxRetries: 0, callsPerMinute: 1, log: () => {} });
    await collect({ client: limited, intervalMs: 25_000, count: 5, startAt: START, sink: { lastTimestamp: async () => null, append: async () => {} }, clock, log: (e) => events.push(e), onTick: (t) => ticks.push(t) });
    expect(events[0]!.message).to.equal("collect: intervalMs 25000 is shorter than the client's rate-limit spacing of 60000 ms (1 calls/min); ticks will be skipped while waiting for it");
    expect(ticks.map((t) => [t.due - START, t.outcome, t.reason])).to.deep.equal([
      [0, 'written', undefined],
      [25_000, 'skipped', 'throttled'],
      [50_000, 'written', undefined],
      [75_000, 'skipped', 'throttled'],
      [100_000, 'written', undefined],
    ]);
    expect(ticks[1]!.message).to.match(/failed: not sent: the client-side rate limit \(1 calls\/min\) has no free slot before the deadline$/);
    expect(server.requests).to.have.length(3);
  });
});
