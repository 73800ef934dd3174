import { expect } from 'chai';
import { CoinGeckoError, parseErrorBody, parseRetryAfter } from '../../src/ingest/coingecko-error.js';
import { needFiles, sharedData } from '../shared-data.js';
import { recorded } from './replay-server.js';

describe('parseErrorBody', function () {
  let dir: string;
  before(function () {
    dir = sharedData(this, 'coingecko');
  });

  it('reads the recorded 429 body {"status":{error_code,error_message}}', function () {
    needFiles(this, dir, 'errors/429_rate-limit.json');
    expect(parseErrorBody(recorded(dir, 'errors/429_rate-limit.json'))).to.deep.equal({
      errorCode: 429,
      errorMessage: "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits.",
    });
  });

  it('reads the recorded nested 10012 body {"error":{"status":{…}}}', function () {
    needFiles(this, dir, 'errors/10012_demo-history-beyond-365-days.json');
    const info = parseErrorBody(recorded(dir, 'errors/10012_demo-history-beyond-365-days.json'));
    expect(info.errorCode).to.equal(10012);
    expect(info.errorMessage).to.equal(
      'Your request exceeds the allowed time range. Public API users are limited to querying historical data within the past 365 days. Upgrade to a paid plan to enjoy full historical data access: https://www.coingecko.com/en/api/pricing.',
    );
  });

  it('reads the recorded CDN text body "error code: 1015"', function () {
    needFiles(this, dir, 'errors/429_cloudflare-rate-limit_error-code-1015.txt');
    expect(parseErrorBody(recorded(dir, 'errors/429_cloudflare-rate-limit_error-code-1015.txt'))).to.deep.equal({ errorCode: 1015, errorMessage: 'error code: 1015' });
  });

  it('reads error_code at top level beside status.error_message, and {"error":"text"}', () => {
    expect(parseErrorBody('{"error_code":10010,"status":{"error_message":"change your root URL"}}')).to.deep.equal({ errorCode: 10010, errorMessage: 'change your root URL' });
    expect(parseErrorBody('{"error":"coin not found"}')).to.deep.equal({ errorCode: undefined, errorMessage: 'coin not found' });
  });

  it('summarises an HTML page by its title and Cloudflare error code', () => {
    const html = '<!DOCTYPE html>\n<html><head><title>Access denied | api.coingecko.com used Cloudflare to restrict access</title></head><body><h1>Error 1020</h1></body></html>';
    expect(parseErrorBody(html)).to.deep.equal({ errorCode: 1020, errorMessage: 'HTML page: Access denied | api.coingecko.com used Cloudflare to restrict access' });
  });

  it('keeps other text short and does not throw on broken JSON or empty bodies', () => {
    expect(parseErrorBody('')).to.deep.equal({});
    expect(parseErrorBody('{"status":')).to.deep.equal({ errorCode: undefined, errorMessage: '{"status":' });
    expect(parseErrorBody('x'.repeat(1000)).errorMessage).to.have.length(300);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.UTC(2022, 8, 29, 16, 17, 14);
    expect(parseRetryAfter('119', now)).to.equal(119_000);
    expect(parseRetryAfter('Thu, 29 Sep 2022 16:19:13 GMT', now)).to.equal(119_000);
    expect(parseRetryAfter(null, now)).to.equal(undefined);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
  });
});

describe('CoinGeckoError.retryable', () => {
  const make = (failure: CoinGeckoError['failure'], status?: number) => new CoinGeckoError('x', { failure, endpoint: '/ping', status });
  it('is true for 429, 408, 5xx, timeouts and network errors only', () => {
    expect([make('rate-limited', 429), make('http-status', 408), make('http-status', 502), make('timeout'), make('network')].map((e) => e.retryable)).to.deep.equal([true, true, true, true, true]);
    expect([make('http-status', 400), make('http-status', 401), make('invalid-body', 200), make('aborted')].map((e) => e.retryable)).to.deep.equal([false, false, false, false]);
  });
});
