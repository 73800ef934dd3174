import { expect } from 'chai';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runLive } from '../../examples/live.js';
import { makeBatchReader } from '../../src/index.js';
import { useTmpDir } from '../tmp-dir.js';

describe('examples: npm run live (examples/live.ts → runLive)', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  for (const http of [false, true]) {
    it(`collects three coins from the CoinGecko stand-in, forecasts each tick and scores it when the next lands, then stops by itself${http ? ' (the store followed over HTTP)' : ''}`, async () => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (c) => (text += c));
      const dir = join(tmp(), 'live');
      const r = (await runLive(['--ticks', '6', '--tick-ms', '250', '--history', '300', '--out', dir, ...(http ? ['--http'] : [])], out))!;
      // The collector skips a tick it cannot make on time (a loaded machine): count the ticks it wrote, the rows
      // past the 300 backfilled hours of the three coins.
      let rows = 0;
      for await (const b of await makeBatchReader(join(dir, 'market'), { columns: ['coin'], workers: 0 })) rows += b.numRows;
      const written = rows / 3 - 300;
      expect(written, 'ticks written').to.be.within(4, 6);
      // Each coin: a forecast from the newest backfilled hour, then one per tick; each scored by the next tick's price.
      expect(r.forecasts).to.equal(3 * (written + 1));
      expect(r.scores).to.equal(3 * written);
      expect(r.latencyMs.length).to.be.within(1, 6);
      expect(r.latencyMs.every((ms) => ms >= 0 && ms < 30_000)).to.equal(true);
      expect(Object.keys(r.mae).sort()).to.deep.equal(['bitcoin/usd', 'ethereum/usd', 'solana/usd']);
      expect(text).to.match(/^bitcoin\/usd +rolling MAE \(last 24 scores\): model [\d.]+, persistence [\d.]+, moving average [\d.]+$/m);
      expect(text).not.to.match(/ 0 forecast\(s\), 0 score\(s\)/);
      expect(text).to.match(/^\[SYNTHETIC DATA, not real market prices\] 300 hours of bitcoin, ethereum, solana/);
      expect(text).to.match(/^ {2}forecast +bitcoin\/usd +2023-01-13T12:00:00Z +\+1 +2023-01-13T13:00:00Z /m);
      expect(text).to.match(new RegExp(`commit → forecast committed \\(${http ? 'over HTTP' : 'local folder'}\\): median \\d+ ms, p95 \\d+ ms`));
      // The forecasts store holds what was printed: the forecasts and scores above, each hour of each coin once.
      const kinds: string[] = [];
      const issued = new Set<string>();
      for await (const b of await makeBatchReader(join(dir, 'forecasts'), { columns: ['kind', 'coin', 'issued_at'], workers: 0 })) {
        for (let i = 0; i < b.numRows; i++) {
          kinds.push(b.columns.kind![i] as string);
          if (b.columns.kind![i] === 'forecast') issued.add(`${b.columns.coin![i]}@${b.columns.issued_at![i]}`);
        }
      }
      expect(kinds.filter((k) => k === 'forecast')).to.have.length(3 * (written + 1));
      expect(kinds.filter((k) => k === 'score')).to.have.length(3 * written);
      expect(issued.size).to.equal(3 * (written + 1));
    });
  }
});
