import { expect } from 'chai';
import { join } from 'node:path';
import { MarketSchema } from '../../src/forecasting/index.js';
import { ConfigError, materializeDataset, openStore } from '../../src/index.js';
import { backfill, storeRowSink, SyntheticMarketChart } from '../../src/ingest/index.js';
import { duck, lit } from '../duckdb.js';
import { useTmpDir } from '../tmp-dir.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

describe('storeRowSink with series', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  it('finds each series\' newest row from statistics where a row group holds one series, and by reading where row groups mix series', async () => {
    const store = join(tmp(), 'market');
    // Row groups of 7 rows over a store sorted by coin, then time: most row groups hold two coins.
    const rows = ['bitcoin', 'ethereum', 'solana'].flatMap((coin, k) =>
      Array.from({ length: 20 - 3 * k }, (_, i) => ({ coin, vs: 'usd', timestamp: T0 + (i + k) * HOUR, price: 1 + i, market_cap: 1, price_change_24h: null, total_volume: null })),
    );
    await materializeDataset(store, MarketSchema, rows, { rowGroupSize: 7, sortBy: ['coin', 'timestamp'] });
    const mixed = (await openStore(store)).rowGroups.filter((rg) => rg.stats.coin!.min !== rg.stats.coin!.max);
    expect(mixed.length).to.be.greaterThan(0);
    const last = async (coin: string, vs = 'usd') => (await storeRowSink(store, MarketSchema, { series: { coin, vs }, priceColumn: 'price' })).lastTimestamp();
    expect(await last('bitcoin')).to.equal(T0 + 19 * HOUR);
    expect(await last('ethereum')).to.equal(T0 + 17 * HOUR);
    expect(await last('solana')).to.equal(T0 + 15 * HOUR);
    expect(await last('bitcoin', 'eur')).to.equal(null);
    expect(await last('cardano')).to.equal(null);
  });

  it('backfills three synthetic coins into one store, each row carrying its series, prices correlated across coins', async () => {
    const store = join(tmp(), 'synthetic');
    const market = new SyntheticMarketChart({ seed: 5 });
    const to = market.start + 999 * HOUR;
    for (const coin of ['bitcoin', 'ethereum', 'solana']) {
      const sink = await storeRowSink(store, MarketSchema, { series: { coin, vs: 'usd' }, priceColumn: 'price' });
      const r = await backfill({ client: market, sink, id: coin, from: market.start, to, chunkDays: 30 });
      expect(r.rowsWritten).to.equal(1000);
    }
    const eur = await storeRowSink(store, MarketSchema, { series: { coin: 'bitcoin', vs: 'eur' }, priceColumn: 'price' });
    await backfill({ client: market, sink: eur, id: 'bitcoin', vsCurrency: 'eur', from: market.start, to });
    const counts = await duck(`SELECT coin, vs, count(*)::INT AS n, min(epoch_ms(timestamp))::DOUBLE AS t0 FROM read_parquet(${lit(join(store, '*.parquet'))}) GROUP BY ALL ORDER BY coin, vs`);
    expect(counts).to.deep.equal([
      { coin: 'bitcoin', vs: 'eur', n: 1000, t0: market.start },
      { coin: 'bitcoin', vs: 'usd', n: 1000, t0: market.start },
      { coin: 'ethereum', vs: 'usd', n: 1000, t0: market.start },
      { coin: 'solana', vs: 'usd', n: 1000, t0: market.start },
    ]);
    // Hourly log returns: correlated through the market factor, as the loadings say (0.9·0.85 ≈ 0.77 for BTC–ETH).
    const corr = await duck(`WITH r AS (SELECT coin, vs, timestamp, ln(price / lag(price) OVER (PARTITION BY coin, vs ORDER BY timestamp)) AS r FROM read_parquet(${lit(join(store, '*.parquet'))}))
      SELECT corr(a.r, b.r) AS btc_eth, corr(a.r, c.r) AS btc_sol, corr(a.r, e.r) AS usd_eur FROM r a JOIN r b USING (timestamp) JOIN r c USING (timestamp) JOIN r e USING (timestamp)
      WHERE a.coin = 'bitcoin' AND a.vs = 'usd' AND b.coin = 'ethereum' AND c.coin = 'solana' AND e.coin = 'bitcoin' AND e.vs = 'eur'`);
    const c = corr[0] as { btc_eth: number; btc_sol: number; usd_eur: number };
    expect(c.btc_eth).to.be.within(0.65, 0.88);
    expect(c.btc_sol).to.be.within(0.5, 0.75);
    // The same coin in another currency moves with it, off by the exchange rate's own small moves.
    expect(c.usd_eur).to.be.above(0.95);
  });

  it('refuses series columns or a price column the schema does not have, naming the fields', async () => {
    const err = await storeRowSink(join(tmp(), 'x'), MarketSchema, { series: { ticker: 'BTC' }, priceColumn: 'price' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.equal('storeRowSink: MarketSchema has no field "ticker"; its fields: coin, vs, timestamp, price, market_cap, price_change_24h, total_volume');
  });
});
