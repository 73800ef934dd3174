import { expect } from 'chai';
import { derivePriceChange24h, parseMarketChart } from '../../src/ingest/market-chart.js';
import type { PriceRow } from '../../src/ingest/price-row.js';

const H = 3_600_000;
const row = (timestamp: number, price: number): PriceRow => ({ timestamp, price_usd: price, market_cap: 1, price_change_24h: null, total_volume: 1 });

describe('parseMarketChart', () => {
  it('joins the three series on timestamps, sorts, and drops points without price or market cap', () => {
    const parsed = parseMarketChart({
      prices: [[3 * H, 30], [1 * H, 10], [2 * H, 20], [4 * H, null]],
      market_caps: [[1 * H, 100], [3 * H, 300], [4 * H, 400]],
      total_volumes: [[1 * H, 5], [3 * H, null]],
    });
    expect(parsed).to.deep.equal({
      ok: true,
      dropped: 2,
      rows: [
        { timestamp: 1 * H, price_usd: 10, market_cap: 100, price_change_24h: null, total_volume: 5 },
        { timestamp: 3 * H, price_usd: 30, market_cap: 300, price_change_24h: null, total_volume: null },
      ],
    });
  });

  it('names the first bad field of a body that is not a market chart', () => {
    expect(parseMarketChart({ prices: [], market_caps: [] })).to.deep.equal({ ok: false, problem: 'field total_volumes is missing' });
    expect(parseMarketChart({ prices: [[1, 'x']], market_caps: [], total_volumes: [] })).to.include({ ok: false });
    expect(parseMarketChart({ data: {} })).to.deep.equal({ ok: false, problem: 'field prices is missing' });
  });
});

describe('derivePriceChange24h', () => {
  it('uses the point nearest to 24 h earlier within 30 min, else null', () => {
    const rows = [row(0, 100), row(H, 50), row(24 * H + 20 * 60_000, 110), row(25 * H + 31 * 60_000, 1), row(26 * H, 0)];
    derivePriceChange24h(rows);
    expect(rows.map((r) => r.price_change_24h)).to.deep.equal([null, null, 10, null, null]);
  });

  it('prefers the closer of the two neighbours of the 24 h-earlier instant', () => {
    const rows = [row(0, 100), row(40 * 60_000, 200), row(24 * H + 25 * 60_000, 300)];
    derivePriceChange24h(rows);
    expect(rows[2]!.price_change_24h).to.equal(50);
  });
});
