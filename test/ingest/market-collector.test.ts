import { expect } from 'chai';
import { join } from 'node:path';
import { MarketSchema } from '../../src/forecasting/schemas.js';
import { ConfigError, materializeDataset, openStore } from '../../src/index.js';
import { CoinGeckoClient } from '../../src/ingest/coingecko-client.js';
import type { IngestLogEvent } from '../../src/ingest/log.js';
import { collectMarket, type MarketTickReport } from '../../src/ingest/market-collector.js';
import { storeMarketSink } from '../../src/ingest/market-sink.js';
import type { CompactResult } from '../../src/materialize/compact.js';
import { duckRows } from '../materialize/fixtures/market-ticks.js';
import { useTmpDir } from '../tmp-dir.js';
import { MarketReplay } from './market-replay.js';
import { FakeClock, ReplayServer } from './replay-server.js';

const T0 = 1_711_356_300;
const START = T0 * 1000 + 30_000;
const MINUTE = 60_000;
const IDS = ['bitcoin', 'ethereum'];
const VS = ['usd', 'eur'];

describe('collectMarket into a store (storeMarketSink)', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();
  let server: ReplayServer;
  let clock: FakeClock;
  let events: IngestLogEvent[];
  let ticks: MarketTickReport[];

  beforeEach(async () => {
    server = await ReplayServer.start();
    clock = new FakeClock(START - 5_000);
    events = [];
    ticks = [];
  });
  afterEach(() => server.close());

  const client = () => new CoinGeckoClient({ baseUrl: server.baseUrl, clock, maxRetries: 0, timeoutMs: 200, callsPerMinute: 60_000, log: () => {} });
  const run = async (store: string, count: number, startAt = START, sinkOptions: Parameters<typeof storeMarketSink>[2] = {}) => {
    const sink = await storeMarketSink(store, MarketSchema, { compactAfter: 0, log: (e) => events.push(e), ...sinkOptions });
    const result = await collectMarket({ client: client(), ids: IDS, vsCurrencies: VS, sink, intervalMs: MINUTE, count, startAt, clock, log: (e) => events.push(e), onTick: (t) => ticks.push(t) });
    await sink.close?.();
    return result;
  };

  it('commits each tick of every series as one commit; a failed call is logged and the other currency is still committed', async () => {
    const replay = new MarketReplay(server, T0, (vs, k) => {
      if (vs === 'eur' && k === 1) return { status: 429, headers: { 'content-type': 'text/plain' }, body: 'error code: 1015' };
      if (vs === 'usd' && k === 2) return { fault: 'hang' };
      if (vs === 'usd' && k === 3) return { body: '{"bitcoin":{"usd":1' };
      if (k === 4) return { stale: ['bitcoin'] };
      if (vs === 'usd' && k === 5) return { status: 503, body: '<html></html>', headers: { 'content-type': 'text/html' } };
      return undefined;
    });
    const store = join(tmp(), 'market');
    const result = await run(store, 7);
    expect(ticks.map((t) => [t.tick, t.outcome, t.rows.length, t.unchanged, t.failures.map((f) => `${f.vs}:${f.reason}`)])).to.deep.equal([
      [0, 'written', 4, [], []],
      [1, 'partial', 2, [], ['eur:rate-limited']],
      [2, 'partial', 2, [], ['usd:timeout']],
      [3, 'partial', 2, [], ['usd:invalid-body']],
      [4, 'written', 2, ['bitcoin/usd', 'bitcoin/eur'], []],
      [5, 'partial', 2, [], ['usd:http-status']],
      [6, 'written', 4, [], []],
    ]);
    expect(result).to.deep.include({ ticks: 7, written: 3, partial: 4, duplicates: 0, skipped: 0, missed: 0, rowsWritten: 18 });
    // Every row the server served, once, each series in time order; one commit (one part) per tick.
    expect(await duckRows(store)).to.deep.equal(replay.servedRows());
    const s = await openStore(store);
    expect([s.numRows, s.files.length]).to.deep.equal([18, 7]);
    const warns = events.filter((e) => e.level === 'warn').map((e) => `${e.reason}: ${e.message}`);
    expect(warns[0]).to.match(/^rate-limited: collectMarket: tick 1: \/simple\/price in eur failed, its series get no row this tick: .*HTTP 429/);
    expect(warns).to.have.length(4);
  });

  it('on abort finishes the commit in progress and stops', async () => {
    new MarketReplay(server, T0);
    const store = join(tmp(), 'market');
    const stop = new AbortController();
    const sink = await storeMarketSink(store, MarketSchema, { compactAfter: 0 });
    let appends = 0;
    const interrupting = {
      lastTimestamps: sink.lastTimestamps,
      async append(rows: Parameters<typeof sink.append>[0]) {
        // Ctrl-C arrives while the second tick's rows are being committed
        if (++appends === 2) stop.abort();
        await sink.append(rows);
      },
    };
    const result = await collectMarket({ client: client(), ids: IDS, vsCurrencies: VS, sink: interrupting, intervalMs: MINUTE, clock, signal: stop.signal, log: () => {} });
    expect([result.ticks, result.rowsWritten]).to.deep.equal([2, 8]);
    expect((await openStore(store)).numRows).to.equal(8);
  });

  it('resumes after a restart: per series, a price not newer than its newest stored row is not written again', async () => {
    const replay = new MarketReplay(server, T0, (vs, k) => (k === 3 ? { stale: IDS } : k === 4 && vs === 'eur' ? { stale: ['ethereum'] } : undefined));
    const store = join(tmp(), 'market');
    await run(store, 3);
    expect((await openStore(store)).numRows).to.equal(12);
    // The restart's first call in each currency repeats the last stored prices: nothing is written twice.
    ticks = [];
    const again = await run(store, 3, START + 3 * MINUTE);
    expect(ticks.map((t) => [t.outcome, t.rows.length, t.unchanged.length])).to.deep.equal([
      ['duplicate', 0, 4],
      ['written', 3, 1],
      ['written', 4, 0],
    ]);
    expect(again.lastTimestamps.get('bitcoin/usd')).to.equal((T0 + 5 * 60) * 1000);
    expect(again.lastTimestamps.get('ethereum/eur')).to.equal((T0 + 5 * 60) * 1000);
    expect(await duckRows(store)).to.deep.equal(replay.servedRows());
    expect((await openStore(store)).numRows).to.equal(19);
  });

  it('compacts the store by itself, in the background, once compactAfter small parts have accumulated; close waits for it', async () => {
    const replay = new MarketReplay(server, T0);
    const store = join(tmp(), 'market');
    const compactions: CompactResult[] = [];
    await run(store, 11, START, { compactAfter: 4, rowGroupSize: 64, onCompaction: (r) => compactions.push(r) });
    expect(compactions.length).to.be.at.least(1);
    for (const c of compactions) expect(c.outcome).to.equal('compacted');
    const s = await openStore(store);
    // 44 rows: the compacted part(s) plus the ticks since the last compaction, each a part. How many ticks land
    // while a compaction runs in the background depends on the machine's load: fewer parts than ticks is the rule.
    expect(s.numRows).to.equal(44);
    expect(s.files.length).to.be.below(11);
    for (const c of compactions) expect(c.written.length, 'a compaction writes fewer parts than it replaces').to.be.below(c.replaced.length);
    expect(await duckRows(store)).to.deep.equal(replay.servedRows());
    expect(events.filter((e) => /compaction of .*: compacted: /.test(e.message))).to.have.length(compactions.length);
  });

  it('finds each series\' newest row from single-series row groups and by reading mixed ones', async () => {
    const store = join(tmp(), 'market');
    const row = (coin: string, vs: string, t: number) => ({ coin, vs, timestamp: t, price: 1, market_cap: 1, price_change_24h: null, total_volume: null });
    // Row groups of 3 rows sorted by series: bitcoin/usd alone in its own, the others mixed.
    await materializeDataset(store, MarketSchema, [row('bitcoin', 'usd', 5), row('bitcoin', 'usd', 9), row('bitcoin', 'usd', 7), row('ethereum', 'eur', 4), row('ethereum', 'usd', 8), row('ethereum', 'usd', 6)], { rowGroupSize: 3, sortBy: ['coin', 'vs', 'timestamp'] });
    const sink = await storeMarketSink(store, MarketSchema);
    const last = await sink.lastTimestamps([{ coin: 'bitcoin', vs: 'usd' }, { coin: 'ethereum', vs: 'usd' }, { coin: 'ethereum', vs: 'eur' }, { coin: 'solana', vs: 'usd' }]);
    expect([...last].sort()).to.deep.equal([['bitcoin/usd', 9], ['ethereum/eur', 4], ['ethereum/usd', 8]]);
    expect(await (await storeMarketSink(join(tmp(), 'none'), MarketSchema)).lastTimestamps([{ coin: 'bitcoin', vs: 'usd' }])).to.deep.equal(new Map());
  });

  it('checks its options before any call', async () => {
    const sink = await storeMarketSink(join(tmp(), 'x'), MarketSchema);
    for (const [options, message] of [
      [{ ids: ['bitcoin', 'bitcoin'], vsCurrencies: ['usd'] }, 'collectMarket: ids must not repeat an id; received array(2)'],
      [{ ids: ['bitcoin'], vsCurrencies: ['USD'] }, 'collectMarket: vsCurrencies.0 must be lower-case currency codes such as "usd"; received "USD"'],
      [{ ids: [], vsCurrencies: ['usd'] }, 'collectMarket: ids must have at least 1 item(s); received array(0)'],
    ] as const) {
      const err = await collectMarket({ client: client(), sink, intervalMs: MINUTE, ...options } as never).catch((e: unknown) => e);
      expect(err, message).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.equal(message);
    }
    const bad = await storeMarketSink(join(tmp(), 'y'), MarketSchema, { priceColumn: 'close' }).catch((e: unknown) => e);
    expect((bad as Error).message).to.equal('storeMarketSink: MarketSchema has no field "close"; a market store needs coin, vs, timestamp, market_cap, price_change_24h, total_volume, close; its fields: coin, vs, timestamp, price, market_cap, price_change_24h, total_volume');
    expect(server.requests).to.have.length(0);
  });
});
