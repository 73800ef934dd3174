import { expect } from 'chai';
import { ConfigError } from '../../src/errors.js';
import { coinGeckoClientFromEnv } from '../../src/ingest/client-from-env.js';

describe('coinGeckoClientFromEnv', () => {
  it('reads COINGECKO_PLAN (default demo) and picks the root URL by plan', () => {
    expect(coinGeckoClientFromEnv({}).plan).to.equal('demo');
    const pro = coinGeckoClientFromEnv({ COINGECKO_API_KEY: 'CG-x', COINGECKO_PLAN: 'Pro' });
    expect([pro.plan, pro.baseUrl]).to.deep.equal(['pro', 'https://pro-api.coingecko.com/api/v3']);
    expect(coinGeckoClientFromEnv({ COINGECKO_PLAN: 'demo' }, { baseUrl: 'http://127.0.0.1:9/api/v3/' }).baseUrl).to.equal('http://127.0.0.1:9/api/v3');
  });

  it('lists the valid plans for a wrong COINGECKO_PLAN and needs a key for pro', () => {
    expect(() => coinGeckoClientFromEnv({ COINGECKO_PLAN: 'enterprise' })).to.throw(ConfigError, `COINGECKO_PLAN must be one of 'demo', 'pro'; received "enterprise"`);
    expect(() => coinGeckoClientFromEnv({ COINGECKO_PLAN: 'pro', COINGECKO_API_KEY: ' ' })).to.throw(ConfigError, "plan 'pro' needs apiKey");
    expect(() => coinGeckoClientFromEnv({}, { baseUrl: 'ftp://example.com' })).to.throw(ConfigError, 'CoinGeckoClient: baseUrl must be an http(s) URL');
  });
});
