import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../src/index.js';
import { readPriceSeries } from '../../../src/forecasting/index.js';
import { detectPriceCsvLayout, importPriceCsv } from '../../../src/forecasting/index.js';
import { sharedData } from '../../shared-data.js';
import { useTmpDir } from '../../tmp-dir.js';

describe('forecast/importPriceCsv', () => {
  const tmp = useTmpDir();

  it('imports the real Coinbase hourly candles as a CandleSchema store with price_usd = close and no invented market cap', async function () {
    const file = join(sharedData(this, 'btc', 'hourly'), 'coinbase_BTC-USD_1h_2023-12-31_2024-09-11.csv');
    const store = join(tmp(), 'cb');
    const r = await importPriceCsv(file, store);
    expect(r).to.include({ layout: 'coinbase-candles', schema: 'CandleSchema', rows: 6115 });
    const info = await openStore(store);
    expect(info.schema!.fieldNames).to.deep.equal(['timestamp', 'price_usd', 'open', 'high', 'low', 'volume']);
    const { timestamps, prices } = await readPriceSeries(store);
    // PROVENANCE.md: hourly close 2024-03-14 00:00 = 72,881; 2024-08-05 06:00 = 51,592.
    const at = (iso: string) => prices[timestamps.indexOf(Date.parse(iso))]!;
    expect(at('2024-03-14T00:00:00Z')).to.be.closeTo(72_881, 1);
    expect(at('2024-08-05T06:00:00Z')).to.be.closeTo(51_592, 1);
    for (let i = 1; i < timestamps.length; i++) expect(timestamps[i]! - timestamps[i - 1]!).to.equal(3_600_000);
  });

  it('reads CryptoDataDownload candles (banner line, newest first, swapped volumes) in time order', async () => {
    const file = join(tmp(), 'cdd.csv');
    writeFileSync(
      file,
      [
        'https://www.CryptoDataDownload.com',
        'unix,date,symbol,open,high,low,close,Volume BTC,Volume USD',
        '1660957200,2022-08-20 01:00:00,BTC/USD,21000,21100,20900,21050,2,42100',
        '1660953600,2022-08-20 00:00:00,BTC/USD,20900,21000,20800,21000,42000,2',
        '',
      ].join('\n'),
    );
    expect(await detectPriceCsvLayout(file)).to.equal('cryptodatadownload-candles');
    const r = await importPriceCsv(file, join(tmp(), 'cdd'));
    expect(r.rows).to.equal(2);
    expect(r.notes.join(' ')).to.match(/1 rows had BTC and USD volume swapped/);
    const { timestamps, prices } = await readPriceSeries(join(tmp(), 'cdd'));
    expect(Array.from(timestamps)).to.deep.equal([1660953600000, 1660957200000]);
    expect(Array.from(prices)).to.deep.equal([21000, 21050]);
  });

  it('hands the collector CSV and the CoinGecko export to importCsv (BitcoinSchema) and rejects unknown headers with the supported list', async () => {
    const cg = join(tmp(), 'cg.csv');
    writeFileSync(cg, 'snapped_at,price,market_cap,total_volume\n2024-01-02 00:00:00 UTC,45000,8.8e11,2e10\n2024-01-01 00:00:00 UTC,44000,8.6e11,1.9e10\n');
    const r = await importPriceCsv(cg, join(tmp(), 'cg'));
    expect(r).to.include({ layout: 'coingecko-export', schema: 'BitcoinSchema', rows: 2 });
    expect(Array.from((await readPriceSeries(join(tmp(), 'cg'))).prices)).to.deep.equal([44000, 45000]);
    const bad = join(tmp(), 'bad.csv');
    writeFileSync(bad, 'when,value\n1,2\n');
    let err: Error | undefined;
    await importPriceCsv(bad, join(tmp(), 'bad')).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/unknown header "when,value"; supported: .*CoinGecko's export.*Coinbase candles/);
  });
});
