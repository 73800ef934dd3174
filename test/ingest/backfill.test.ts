import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { BACKFILL_LEAD_IN_MS, type BackfillProgress, backfill, planBackfillChunks } from '../../src/ingest/backfill.js';
import { CoinGeckoClient } from '../../src/ingest/coingecko-client.js';
import { CoinGeckoError } from '../../src/ingest/coingecko-error.js';
import { parseMarketChart } from '../../src/ingest/market-chart.js';
import { CSV_HEADER, formatCsvRow, type PriceRow } from '../../src/ingest/price-row.js';
import type { RowSink } from '../../src/ingest/row-sink.js';
import { sharedData } from '../shared-data.js';
import { FakeClock, ReplayServer, rangeHandler, recorded } from './replay-server.js';

const DAY = 86_400_000;
const RANGE = '/coins/bitcoin/market_chart/range';
const FILE = 'market_chart_range/janneras_bitcoin_eur_2021_01_01-2021_02_28.json';
const FROM = Date.UTC(2021, 0, 1);
const TO = Date.UTC(2021, 1, 28);

describe('planBackfillChunks', () => {
  it('covers the range with consecutive chunks whose request window (with lead-in) fits chunkDays', () => {
    const chunks = planBackfillChunks(0, 200 * DAY, 90);
    expect(chunks).to.have.length(3);
    expect(chunks[0]).to.deep.equal({ from: 0, to: 90 * DAY - BACKFILL_LEAD_IN_MS - 1 });
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.from).to.equal(chunks[i - 1]!.to + 1);
    for (const c of chunks) expect(c.to - (c.from - BACKFILL_LEAD_IN_MS)).to.be.below(90 * DAY);
    expect(chunks.at(-1)!.to).to.equal(200 * DAY);
  });
});

describe('backfill', function () {
  let dir: string;
  let tmp: string;
  let server: ReplayServer;
  let all: PriceRow[];

  before(function () {
    dir = sharedData(this, 'coingecko');
    const parsed = parseMarketChart(JSON.parse(recorded(dir, FILE)));
    if (!parsed.ok) throw new Error(parsed.problem);
    all = parsed.rows.filter((r) => r.timestamp >= FROM && r.timestamp <= TO);
  });
  beforeEach(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tfpl-backfill-'));
    server = await ReplayServer.start();
    server.route(RANGE, rangeHandler(JSON.parse(recorded(dir, FILE))));
  });
  afterEach(async () => {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const client = () => new CoinGeckoClient({ baseUrl: server.baseUrl, clock: new FakeClock(0), maxRetries: 0, log: () => {} });
  const expectedCsv = () => `${CSV_HEADER}\n${all.map(formatCsvRow).join('\n')}\n`;
  const requestRanges = () => server.requests.map((r) => new URL(r.url, 'http://x').searchParams).map((p) => [Number(p.get('from')), Number(p.get('to'))]);

  it('fetches a multi-chunk range in order into unique, increasing timestamps equal to one whole-range response', async () => {
    const csvPath = join(tmp, 'btc.csv');
    const progress: BackfillProgress[] = [];
    const result = await backfill({ client: client(), id: 'bitcoin', vsCurrency: 'eur', from: FROM, to: TO, csvPath, chunkDays: 10, onProgress: (p) => progress.push(p) });

    expect(readFileSync(csvPath, 'utf8')).to.equal(expectedCsv());
    expect(result).to.deep.equal({ chunks: 7, rowsWritten: all.length, resumedAfter: null, lastTimestamp: all.at(-1)!.timestamp });
    const ts = readFileSync(csvPath, 'utf8').trim().split('\n').slice(1).map((l) => Date.parse(l.split(',')[0]!));
    for (let i = 1; i < ts.length; i++) expect(ts[i]).to.be.above(ts[i - 1]!);
    // chunks overlap by the lead-in, so many points arrive twice but are written once
    const fetched = server.requests.length;
    expect(fetched).to.equal(7);
    expect(progress.map((p) => p.chunk)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(progress.at(-1)!.rowsWritten).to.equal(all.length);
    const ranges = requestRanges();
    for (let i = 1; i < ranges.length; i++) {
      expect(ranges[i]![0]).to.be.below(ranges[i - 1]![1]!);
      expect(ranges[i]![1]! - ranges[i]![0]!).to.be.at.most(10 * 86_400);
    }
    // the first day of every later chunk gets its 24 h change from the request's lead-in
    const firstDays = all.filter((r) => progress.slice(1).some((p) => r.timestamp >= p.from && r.timestamp < p.from + DAY));
    expect([firstDays.length, firstDays.filter((r) => r.price_change_24h !== null).length]).to.deep.equal([140, 139]); // the one without has no point within 30 min of 24 h before it
  });

  it('resumes after an interruption from the last stored timestamp and ends with the same file', async () => {
    const csvPath = join(tmp, 'btc.csv');
    let calls = 0;
    const replay = rangeHandler(JSON.parse(recorded(dir, FILE)));
    server.route(RANGE, (url, req) => (++calls === 3 ? { status: 503, body: '<html><head><title>503</title></head></html>' } : replay(url, req)));
    let error: unknown;
    try {
      await backfill({ client: client(), vsCurrency: 'eur', from: FROM, to: TO, csvPath, chunkDays: 10 });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(CoinGeckoError);
    expect((error as CoinGeckoError).status).to.equal(503);
    const partial = readFileSync(csvPath, 'utf8').trim().split('\n');
    const lastStored = Date.parse(partial.at(-1)!.split(',')[0]!);
    expect(partial.length - 1).to.be.within(1, all.length - 1);

    server.requests.length = 0;
    const result = await backfill({ client: client(), vsCurrency: 'eur', from: FROM, to: TO, csvPath, chunkDays: 10 });
    expect(result.resumedAfter).to.equal(lastStored);
    expect(requestRanges()[0]![0]).to.equal(Math.floor((lastStored + 1 - BACKFILL_LEAD_IN_MS) / 1000));
    expect(readFileSync(csvPath, 'utf8')).to.equal(expectedCsv());

    // a third run asks only for what could follow the last row, and writes nothing
    server.requests.length = 0;
    expect(await backfill({ client: client(), vsCurrency: 'eur', from: FROM, to: TO, csvPath, chunkDays: 10 })).to.deep.equal({
      chunks: 1, rowsWritten: 0, resumedAfter: all.at(-1)!.timestamp, lastTimestamp: all.at(-1)!.timestamp,
    });
    expect(readFileSync(csvPath, 'utf8')).to.equal(expectedCsv());
    // and a range that ends before the last stored row asks for nothing
    server.requests.length = 0;
    expect((await backfill({ client: client(), vsCurrency: 'eur', from: FROM, to: Date.UTC(2021, 1, 1), csvPath })).chunks).to.equal(0);
    expect(server.requests).to.have.length(0);
  });

  it('appends to any RowSink', async () => {
    const stored: PriceRow[] = [];
    const sink: RowSink = { lastTimestamp: async () => stored.at(-1)?.timestamp ?? null, append: async (rows) => void stored.push(...rows) };
    await backfill({ client: client(), vsCurrency: 'eur', from: Date.UTC(2021, 0, 10), to: Date.UTC(2021, 0, 20), sink, chunkDays: 3 });
    expect(stored).to.deep.equal(all.filter((r) => r.timestamp >= Date.UTC(2021, 0, 10) && r.timestamp <= Date.UTC(2021, 0, 20)));
  });

  it('checks its options before any I/O', async () => {
    const c = client();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ client: c, from: FROM, to: TO, csvPath: 'x.csv', chunkDays: 91 }, 'backfill: chunkDays must be an integer from 2 to 90 (longer requests return daily points); received 91'],
      [{ client: c, from: TO, to: FROM, csvPath: 'x.csv' }, 'backfill: to must be later than from'],
      [{ client: c, from: FROM, to: TO }, 'backfill: sink give exactly one of sink, csvPath'],
      [{ client: {}, from: FROM, to: TO, csvPath: 'x.csv' }, 'backfill: client must have marketChartRange(), e.g. a CoinGeckoClient'],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        await backfill(options as never);
      } catch (err) {
        error = err;
      }
      expect(error, message).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.contain(message);
    }
    expect(server.requests).to.have.length(0);
  });
});
