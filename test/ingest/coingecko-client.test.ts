import { expect } from 'chai';
import { ConfigError } from '../../src/errors.js';
import { CoinGeckoClient, type CoinGeckoClientOptions } from '../../src/ingest/coingecko-client.js';
import { CoinGeckoError } from '../../src/ingest/coingecko-error.js';
import type { IngestLogEvent } from '../../src/ingest/log.js';
import { needFiles, sharedData } from '../shared-data.js';
import { FakeClock, ReplayServer, recorded, SIMPLE_PRICE_FILE, simplePriceBody } from './replay-server.js';

const KEY = 'CG-test-secret-key-4f2a9';
const PRICE = '/simple/price';
const RANGE = '/coins/bitcoin/market_chart/range';
const DOCS_RANGE = 'market_chart_range/docs-example_bitcoin_usd_hourly_2024-01-01_unaligned-ms.json';

describe('CoinGeckoClient', function () {
  let dir: string;
  let server: ReplayServer;
  let clock: FakeClock;
  let events: IngestLogEvent[];

  before(function () {
    dir = sharedData(this, 'coingecko');
  });
  beforeEach(async () => {
    server = await ReplayServer.start();
    clock = new FakeClock(Date.UTC(2024, 2, 25, 8, 45));
    events = [];
  });
  afterEach(async () => server.close());

  const client = (options: CoinGeckoClientOptions = {}) =>
    new CoinGeckoClient({ baseUrl: server.baseUrl, clock, random: () => 0, log: (e) => events.push(e), timeoutMs: 300, callsPerMinute: 600, ...options });

  async function failure(promise: Promise<unknown>): Promise<CoinGeckoError> {
    try {
      await promise;
    } catch (err) {
      expect(err).to.be.instanceOf(CoinGeckoError);
      return err as CoinGeckoError;
    }
    throw new Error('expected a CoinGeckoError');
  }

  describe('simplePrice', () => {
    it('reads the recorded response into one row per coin, timestamp from last_updated_at', async function () {
      needFiles(this, dir, SIMPLE_PRICE_FILE);
      server.queue(PRICE, { body: recorded(dir, 'simple_price/docs-example_bitcoin_usd_include-mcap-vol-change-lastupdated.json') });
      const rows = await client().simplePrice({ ids: ['bitcoin'], vsCurrency: 'usd' });
      expect(rows).to.deep.equal({
        bitcoin: { timestamp: 1711356300000, price_usd: 67187.3358936566, market_cap: 1317802988326.25, price_change_24h: 3.63727894677354, total_volume: 31260929299.5248 },
      });
      const url = new URL(server.requests[0]!.url, 'http://x');
      expect(url.pathname).to.equal('/api/v3/simple/price');
      expect(Object.fromEntries(url.searchParams)).to.deep.equal({
        ids: 'bitcoin', vs_currencies: 'usd', include_market_cap: 'true', include_24hr_vol: 'true', include_24hr_change: 'true', include_last_updated_at: 'true',
      });
    });

    it('keeps a null 24h change as null', async function () {
      needFiles(this, dir, SIMPLE_PRICE_FILE);
      server.queue(PRICE, { body: simplePriceBody(dir, { usd_24h_change: null }) });
      const { bitcoin } = await client().simplePrice({ ids: ['bitcoin'] });
      expect(bitcoin!.price_change_24h).to.equal(null);
      expect(bitcoin!.price_usd).to.equal(67187.3358936566);
    });

    it('rejects a body with a missing field as invalid-body naming the field, without retrying', async function () {
      needFiles(this, dir, SIMPLE_PRICE_FILE);
      server.queue(PRICE, { body: simplePriceBody(dir, {}, ['usd_market_cap']) });
      const err = await failure(client().simplePrice({ ids: ['bitcoin'] }));
      expect(err.failure).to.equal('invalid-body');
      expect(err.message).to.contain('bitcoin.usd_market_cap is missing');
      expect(server.requests).to.have.length(1);
    });

    it('rejects the minimal recorded body (price only) and a coin absent from the body', async () => {
      server.queue(PRICE, { body: recorded(dir, 'simple_price/pycoingecko_bitcoin_usd.json') }, { body: recorded(dir, 'simple_price/jkorf_simple-price_ethereum_usd.json') });
      expect((await failure(client().simplePrice({ ids: ['bitcoin'] }))).message).to.contain('bitcoin.usd_market_cap is missing');
      expect((await failure(client().simplePrice({ ids: ['bitcoin'] }))).message).to.contain('field bitcoin is missing');
    });

    it('rejects malformed JSON as invalid-body without retrying', async () => {
      server.queue(PRICE, { body: '{"bitcoin":{"usd":67187.33,' });
      const err = await failure(client().simplePrice({ ids: ['bitcoin'] }));
      expect(err.failure).to.equal('invalid-body');
      expect(err.status).to.equal(200);
      expect(err.message).to.contain('body is not JSON: "{\\"bitcoin\\":{\\"usd\\":67187.33,"');
      expect(server.requests).to.have.length(1);
    });

    it('reports an error body sent with status 200 as such', async function () {
      needFiles(this, dir, 'errors/429_rate-limit.json');
      server.queue(PRICE, { body: recorded(dir, 'errors/429_rate-limit.json') });
      const err = await failure(client().simplePrice({ ids: ['bitcoin'] }));
      expect(err).to.include({ failure: 'invalid-body', errorCode: 429 });
      expect(err.message).to.contain("error body with a 2xx status (error_code 429: You've exceeded the Rate Limit.");
    });

    it('does not follow a redirect, so the key header never reaches another host', async () => {
      server.queue(PRICE, { status: 302, headers: { location: 'http://127.0.0.2:9/steal' }, body: '' });
      const err = await failure(client({ apiKey: KEY }).simplePrice({ ids: ['bitcoin'] }));
      expect(err).to.include({ failure: 'http-status', status: 302, retryable: false });
      expect(err.message).to.contain('HTTP 302 (redirect to http://127.0.0.2:9/steal not followed)');
      expect(server.requests).to.have.length(1);
    });
  });

  describe('marketChartRange', () => {
    it('joins the recorded series into rows with ms timestamps and sends from/to in seconds', async function () {
      needFiles(this, dir, DOCS_RANGE);
      server.queue(RANGE, { body: recorded(dir, DOCS_RANGE) });
      const rows = await client().marketChartRange({ id: 'bitcoin', vsCurrency: 'usd', from: 1704067200000, to: 1704074500500 });
      expect(rows).to.deep.equal([
        { timestamp: 1704067241331, price_usd: 42261.0406175669, market_cap: 827596236151.196, price_change_24h: null, total_volume: 14305769170.9498 },
        { timestamp: 1704070847420, price_usd: 42493.2764087546, market_cap: 831531023621.411, price_change_24h: null, total_volume: 14130205376.1709 },
        { timestamp: 1704074443652, price_usd: 42654.0731066594, market_cap: 835499399014.932, price_change_24h: null, total_volume: 13697382902.2424 },
      ]);
      const url = new URL(server.requests[0]!.url, 'http://x');
      expect(Object.fromEntries(url.searchParams)).to.deep.equal({ vs_currency: 'usd', from: '1704067200', to: '1704074501' });
    });

    it('derives price_change_24h from the point nearest to 24 h earlier in a real hourly response', async () => {
      const file = 'market_chart_range/janneras_bitcoin_eur_2020_01_19-2020_01_21.json';
      const body = JSON.parse(recorded(dir, file)) as { prices: Array<[number, number]> };
      server.queue(RANGE, { body: recorded(dir, file) });
      const rows = await client().marketChartRange({ id: 'bitcoin', vsCurrency: 'eur', from: body.prices[0]![0], to: body.prices.at(-1)![0] });
      expect(rows).to.have.length(body.prices.length);
      const last = rows.at(-1)!;
      const dayBefore = rows.reduce((best, r) => (Math.abs(r.timestamp - (last.timestamp - 86_400_000)) < Math.abs(best.timestamp - (last.timestamp - 86_400_000)) ? r : best));
      expect(Math.abs(dayBefore.timestamp - (last.timestamp - 86_400_000))).to.be.at.most(30 * 60_000);
      expect(last.price_change_24h).to.equal(((last.price_usd - dayBefore.price_usd) / dayBefore.price_usd) * 100);
      expect(rows[0]!.price_change_24h).to.equal(null);
    });

    it('fails at once on 401 with the nested 10012 body, carrying status, error_code and error_message', async function () {
      needFiles(this, dir, 'errors/10012_demo-history-beyond-365-days.json');
      server.queue(RANGE, { status: 401, body: recorded(dir, 'errors/10012_demo-history-beyond-365-days.json') });
      const err = await failure(client().marketChartRange({ id: 'bitcoin', vsCurrency: 'usd', from: Date.UTC(2020, 0, 1), to: Date.UTC(2020, 0, 2) }));
      expect(err).to.include({ failure: 'http-status', status: 401, errorCode: 10012, code: 'ERR_COINGECKO' });
      expect(err.errorMessage).to.match(/^Your request exceeds the allowed time range\. Public API users are limited/);
      expect(err.retryable).to.equal(false);
      expect(server.requests).to.have.length(1);
    });
  });

  describe('retries', () => {
    it('honours Retry-After on a recorded 429 and then succeeds', async function () {
      needFiles(this, dir, 'errors/429_rate-limit.json', SIMPLE_PRICE_FILE);
      server.queue(PRICE, { status: 429, headers: { 'retry-after': '119', server: 'cloudflare' }, body: recorded(dir, 'errors/429_rate-limit.json') }, { body: simplePriceBody(dir) });
      const rows = await client().simplePrice({ ids: ['bitcoin'] });
      expect(rows.bitcoin!.timestamp).to.equal(1711356300000);
      expect(clock.sleeps.filter((ms) => ms > 0)).to.deep.equal([119_000]);
      expect(events.map((e) => e.reason)).to.deep.equal(['rate-limited']);
      expect(events[0]!.message).to.contain('HTTP 429 (error_code 429: You\'ve exceeded the Rate Limit.');
    });

    it('backs off exponentially (jitter from the injected random) on the CDN text 429, HTML 503 and 500', async function () {
      needFiles(this, dir, 'errors/429_cloudflare-rate-limit_error-code-1015.txt', SIMPLE_PRICE_FILE);
      server.queue(
        PRICE,
        { status: 429, headers: { 'content-type': 'text/plain' }, body: recorded(dir, 'errors/429_cloudflare-rate-limit_error-code-1015.txt') },
        { status: 503, headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head><body>busy</body></html>' },
        { status: 500, body: '{"status":{"error_code":500,"error_message":"Internal error"}}' },
        { body: simplePriceBody(dir) },
      );
      await client({ baseDelayMs: 1000, random: () => 0.5 }).simplePrice({ ids: ['bitcoin'] });
      // d = 1000·2^(n-1), wait = d/2 + 0.5·d/2
      expect(clock.sleeps.filter((ms) => ms > 0)).to.deep.equal([750, 1500, 3000]);
      expect(events.map((e) => e.message.replace(/^.*failed: /, '').replace(/; retry.*$/, ''))).to.deep.equal([
        'HTTP 429 (error_code 1015: error code: 1015)',
        'HTTP 503 (HTML page: 503 Service Temporarily Unavailable)',
        'HTTP 500 (error_code 500: Internal error)',
      ]);
    });

    it('gives up after maxRetries with the last error', async () => {
      server.queue(PRICE, ...Array.from({ length: 3 }, () => ({ status: 429, headers: { 'content-type': 'text/plain' }, body: 'error code: 1015' })));
      const err = await failure(client({ maxRetries: 2 }).simplePrice({ ids: ['bitcoin'] }));
      expect(err).to.include({ failure: 'rate-limited', status: 429, errorCode: 1015, errorMessage: 'error code: 1015' });
      expect(server.requests).to.have.length(3);
    });

    it('does not start a retry wait that would pass the deadline', async function () {
      needFiles(this, dir, 'errors/429_rate-limit.json');
      server.queue(PRICE, { status: 429, headers: { 'retry-after': '119' }, body: recorded(dir, 'errors/429_rate-limit.json') });
      const err = await failure(client().simplePrice({ ids: ['bitcoin'], deadline: clock.t + 60_000 }));
      expect(err.retryAfterMs).to.equal(119_000);
      expect(server.requests).to.have.length(1);
    });

    it('retries a dropped connection and a response that never ends (timeout)', async function () {
      needFiles(this, dir, SIMPLE_PRICE_FILE);
      server.queue(PRICE, { fault: 'drop' }, { fault: 'hang' }, { fault: 'silent' }, { body: simplePriceBody(dir) });
      const rows = await client().simplePrice({ ids: ['bitcoin'] });
      expect(rows.bitcoin!.price_usd).to.equal(67187.3358936566);
      expect(events.map((e) => e.reason)).to.deep.equal(['network', 'timeout', 'timeout']);
      expect(events[1]!.message).to.contain('no complete response within 300 ms (HTTP 200 headers received)');
    });

    it('fails at once on 400 and 404 with the documented body shapes', async () => {
      server.queue(PRICE, { status: 400, body: '{"error_code":10011,"status":{"error_message":"change your root URL from pro-api.coingecko.com to api.coingecko.com"}}' });
      const err = await failure(client().simplePrice({ ids: ['bitcoin'] }));
      expect(err).to.include({ status: 400, errorCode: 10011, errorMessage: 'change your root URL from pro-api.coingecko.com to api.coingecko.com' });
      server.queue('/coins/nocoin/market_chart/range', { status: 404, body: '{"error":"coin not found"}' });
      const notFound = await failure(client().marketChartRange({ id: 'nocoin', vsCurrency: 'usd', from: 0, to: 1000 }));
      expect(notFound).to.include({ status: 404, errorCode: undefined, errorMessage: 'coin not found' });
      expect(server.requests).to.have.length(2);
    });

    it('stops waiting when the caller aborts', async () => {
      const controller = new AbortController();
      server.queue(PRICE, { fault: 'silent' });
      const pending = client({ timeoutMs: 30_000 }).simplePrice({ ids: ['bitcoin'], signal: controller.signal });
      setImmediate(() => controller.abort());
      const err = await failure(pending);
      expect(err.failure).to.equal('aborted');
    });
  });

  describe('rate limiter', () => {
    it('spaces calls 60 000 / callsPerMinute ms apart', async function () {
      needFiles(this, dir, SIMPLE_PRICE_FILE);
      server.route(PRICE, () => ({ body: simplePriceBody(dir) }));
      const c = client({ callsPerMinute: 30 });
      for (let i = 0; i < 3; i++) await c.simplePrice({ ids: ['bitcoin'] });
      expect(clock.sleeps).to.deep.equal([0, 2000, 2000]);
    });
  });

  describe('API key', () => {
    it('sends the key only in the demo/pro header, never in a URL, log event or error message', async function () {
      needFiles(this, dir, 'errors/429_rate-limit.json', SIMPLE_PRICE_FILE);
      server.queue(
        PRICE,
        { status: 429, headers: { 'retry-after': '1' }, body: recorded(dir, 'errors/429_rate-limit.json') },
        { fault: 'drop' },
        { status: 500, body: `{"status":{"error_code":500,"error_message":"bad key ${KEY}"}}` },
        { status: 401, body: '{"status":{"error_code":10002,"error_message":"API Key Missing"}}' },
      );
      const demo = client({ apiKey: KEY });
      const err = await failure(demo.simplePrice({ ids: ['bitcoin'] }));
      expect(err.errorCode).to.equal(10002);
      server.queue(PRICE, { body: simplePriceBody(dir) });
      await client({ apiKey: KEY, plan: 'pro' }).simplePrice({ ids: ['bitcoin'] });

      expect(server.requests.map((r) => r.headers['x-cg-demo-api-key'])).to.deep.equal([KEY, KEY, KEY, KEY, undefined]);
      expect(server.requests[4]!.headers['x-cg-pro-api-key']).to.equal(KEY);
      const texts = [...server.requests.map((r) => r.url), ...events.map((e) => JSON.stringify(e)), err.message, String(err.errorMessage), JSON.stringify(err)];
      expect(texts.join('\n')).not.to.contain(KEY);
      expect(events[2]!.message).to.contain('bad key [redacted]');
    });

    it('also scrubs the key URL-encoded (either hex case), form-encoded and base64-encoded from errors and logs', async () => {
      const odd = 'CG-s3cr3t+K3y/with=chars';
      const encoded = encodeURIComponent(odd);
      server.queue(
        PRICE,
        { status: 302, headers: { location: `https://evil.example/steal?x_cg_demo_api_key=${encoded}` }, body: '' },
        { status: 302, headers: { location: `https://evil.example/steal?k=${encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}` }, body: '' },
        { status: 400, body: JSON.stringify({ error: `bad request ${new URLSearchParams({ k: odd })} ${Buffer.from(odd).toString('base64')}` }) },
      );
      const c = client({ apiKey: odd });
      const errors = [];
      for (let i = 0; i < 3; i++) errors.push(await failure(c.simplePrice({ ids: ['bitcoin'] })));
      expect(errors.map((e) => e.message.replace(/^.*failed: /, ''))).to.deep.equal([
        'HTTP 302 (redirect to https://evil.example/steal?x_cg_demo_api_key=[redacted] not followed)',
        'HTTP 302 (redirect to https://evil.example/steal?k=[redacted] not followed)',
        'HTTP 400 (bad request k=[redacted] [redacted])',
      ]);
      expect(errors[2]!.errorMessage).to.equal('bad request k=[redacted] [redacted]');
    });

    it('defaults to the pro root URL for plan pro and never echoes the key in a ConfigError', () => {
      expect(new CoinGeckoClient({ plan: 'pro', apiKey: KEY }).baseUrl).to.equal('https://pro-api.coingecko.com/api/v3');
      expect(new CoinGeckoClient().baseUrl).to.equal('https://api.coingecko.com/api/v3');
      expect(() => new CoinGeckoClient({ apiKey: KEY, plan: 'free' as 'demo' })).to.throw(ConfigError, "CoinGeckoClient: plan must be one of 'demo', 'pro'; received \"free\"");
      expect(() => new CoinGeckoClient({ plan: 'pro' })).to.throw(ConfigError, "plan 'pro' needs apiKey");
      expect(() => new CoinGeckoClient({ apiKey: '' })).to.throw(ConfigError, 'apiKey must be a non-empty string; received (hidden)');
      expect(() => new CoinGeckoClient({ timeoutMs: 0 })).to.throw(ConfigError, 'CoinGeckoClient: timeoutMs must be an integer > 0; received 0');
    });
  });
});
