import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CoinGeckoClient } from '../../src/ingest/coingecko-client.js';
import { collect } from '../../src/ingest/collector.js';
import { CSV_HEADER, formatCsvRow } from '../../src/ingest/price-row.js';
import { mulberry32 } from '../../src/prng.js';
import { FakeClock, ReplayServer, SIMPLE_PRICE_FILE, recorded } from '../ingest/replay-server.js';
import { needFiles, sharedData } from '../shared-data.js';
import { ScriptChild } from './child-process.js';
import { reliabilityCounts } from './counts.js';

/**
 * Crash safety of the collector: a child process collects from a local replay server into a CSV and is
 * SIGKILLed at a seeded point: exactly before or after one of its file-system calls (sometimes tearing the
 * write it was making, as a power loss would), or from outside after a random delay. After every kill the CSV
 * must be a valid prefix (every complete line a good row the server sent, in time order), every row the child
 * reported as written must be there, and a restart must repair a torn last line and go on appending.
 */

const TRIALS = 40;
const T0 = 1_711_356_300;
const INTERVAL_MS = 20;

describe('reliability: SIGKILL during collect', function () {
  this.timeout(120_000);
  let root: string;
  let server: ReplayServer;
  /** CSV line the server's answer with last_updated_at = t seconds must become. */
  const expectedLine = new Map<number, string>();

  before(async function () {
    const data = sharedData(this, 'coingecko');
    needFiles(this, data, SIMPLE_PRICE_FILE);
    const base = (JSON.parse(recorded(data, SIMPLE_PRICE_FILE)) as { bitcoin: Record<string, number> }).bitcoin;
    root = mkdtempSync(join(tmpdir(), 'tfpl-crash-collect-'));
    server = await ReplayServer.start();
    let n = 0;
    server.route('/simple/price', () => {
      const t = T0 + 60 * n;
      const usd = 60_000 + n * 0.25;
      n++;
      expectedLine.set(t, formatCsvRow({ timestamp: t * 1000, price_usd: usd, market_cap: base.usd_market_cap!, price_change_24h: base.usd_24h_change!, total_volume: base.usd_24h_vol! }));
      return { body: JSON.stringify({ bitcoin: { ...base, usd, last_updated_at: t } }) };
    });
  });

  after(async () => {
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Complete lines and the torn tail (or '') of the CSV; checks every complete line is a good row, in order. */
  function checkPrefix(csv: string, context: string): { complete: string[]; torn: string } {
    const text = existsSync(csv) ? readFileSync(csv, 'utf8') : '';
    const parts = text.split('\n');
    const torn = parts.pop()!;
    if (parts.length > 0) expect(parts[0], `${context}: header`).to.equal(CSV_HEADER);
    else expect(`${CSV_HEADER}\n`.startsWith(torn), `${context}: a torn header is a prefix of the header`).to.equal(true);
    let previous = -Infinity;
    for (const line of parts.slice(1)) {
      const t = Date.parse(line.slice(0, line.indexOf(','))) / 1000;
      expect(line, `${context}: line for ${t}`).to.equal(expectedLine.get(t));
      expect(t, `${context}: timestamps increase`).to.be.greaterThan(previous);
      previous = t;
    }
    if (torn !== '' && parts.length > 0) {
      // a torn line is the start of a row the server sent: never garbage
      expect([...expectedLine.values()].some((l) => l.startsWith(torn)), `${context}: torn line ${JSON.stringify(torn)}`).to.equal(true);
    }
    return { complete: parts, torn };
  }

  it(`a kill at any point leaves a valid prefix holding every reported row, repaired on restart (${TRIALS} seeded trials)`, async () => {
    const stats = { torn: 0, restarts: 0 };
    await Promise.all(
      [0, 1].map(async (lane) => {
        const rng = mulberry32(9_100 + lane);
        const csv = join(root, `btc-${lane}.csv`);
        for (let t = lane; t < TRIALS; t += 2) {
          let child: ScriptChild;
          let how: string;
          const targeted = t % 4 < 2;
          if (targeted) {
            // ops: 2-4 to open the file (4 to create it), then open/write/sync per written row
            const index = Math.floor(rng() * 22);
            const when = rng() < 0.5 ? 'before' : 'after';
            const env: NodeJS.ProcessEnv = { TFPL_FAULT_KILL_AT: `${index}:${when}` };
            if (rng() < 0.5) env.TFPL_FAULT_TORN = String(rng());
            how = `killed ${when} fs op ${index}${env.TFPL_FAULT_TORN ? ` tearing the write at ${Number(env.TFPL_FAULT_TORN).toFixed(2)}` : ''}`;
            child = await ScriptChild.start('collect-child.ts', [csv, server.baseUrl, String(INTERVAL_MS), '400'], env);
          } else {
            const afterRow = Math.floor(rng() * 3);
            const ms = rng() * INTERVAL_MS;
            how = `killed ${ms.toFixed(1)} ms after row ${afterRow}`;
            child = await ScriptChild.start('collect-child.ts', [csv, server.baseUrl, String(INTERVAL_MS), '400']);
            await child.waitForLine((l) => l.startsWith('written ') && child.lines.filter((x) => x.startsWith('written ')).length > afterRow);
            await delay(ms);
            child.kill('SIGKILL');
          }
          const exit = await child.exited;
          const context = `trial ${t}: ${how}`;
          expect(exit.signal, `${context}; stderr ${child.stderr}`).to.equal('SIGKILL');
          reliabilityCounts.add('crash.collector.trials', 1);
          reliabilityCounts.add('crash.kills', 1);

          const { complete, torn } = checkPrefix(csv, context);
          const reported = child.lines.filter((l) => l.startsWith('written ')).map((l) => new Date(Number(l.split(' ')[2])).toISOString());
          const stored = new Set(complete.slice(1).map((l) => l.slice(0, 24)));
          const lost = reported.filter((ts) => !stored.has(ts));
          reliabilityCounts.add('crash.rowsLost', lost.length);
          expect(lost, `${context}: rows reported written but missing`).to.deep.equal([]);
          if (torn !== '') stats.torn++;

          // restart: the sink cuts a torn line, keeps every complete one and appends after the last timestamp
          const clock = new FakeClock(Date.now());
          const client = new CoinGeckoClient({ baseUrl: server.baseUrl, clock, maxRetries: 0, callsPerMinute: 600_000 });
          const result = await collect({ client, csvPath: csv, intervalMs: 60_000, count: 3, clock, log: () => {} });
          expect(result.written, context).to.equal(3);
          const after = checkPrefix(csv, `${context}, after restart`);
          expect(after.torn, `${context}: no torn line after restart`).to.equal('');
          const kept = complete.length > 0 ? complete : [CSV_HEADER];
          expect(after.complete.slice(0, kept.length), `${context}: restart kept every complete line`).to.deep.equal(kept);
          expect(after.complete.length).to.equal(kept.length + 3);
          stats.restarts++;
        }
      }),
    );
    reliabilityCounts.add('crash.collector.tornLinesRepaired', stats.torn);
    expect(stats.restarts).to.equal(TRIALS);
    // the seeded kill points include torn writes, so the repair path really ran
    expect(stats.torn).to.be.greaterThan(0);
  });
});
