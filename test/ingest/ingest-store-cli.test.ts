import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ingestCommand from '../../src/cli/commands/ingest.js';
import { UsageError } from '../../src/cli/command.js';
import { openStore } from '../../src/index.js';
import { LOCK_FILE, TEMP_PREFIX, isDataFileName } from '../../src/materialize/store-layout.js';
import { runCli } from '../cli/run-cli.js';
import { duckRows } from '../materialize/fixtures/market-ticks.js';
import { useTmpDir } from '../tmp-dir.js';
import { MarketReplay } from './market-replay.js';
import { ReplayServer } from './replay-server.js';

const T0 = 1_711_356_300;
const KEY = 'CG-store-secret-41aa';

describe('tfpl ingest --store', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();
  let server: ReplayServer;
  beforeEach(async () => {
    server = await ReplayServer.start();
  });
  afterEach(() => server.close());

  it('collects several coins in several currencies over faults and a restart: every row the server served, once', async () => {
    // Call 1 in eur is rate limited, call 2 in usd is an HTML error page; after the restart the first calls
    // repeat the prices stored last, and ethereum has no new price in its second call.
    const replay = new MarketReplay(server, T0, (vs, k) => {
      if (vs === 'eur' && k === 1) return { status: 429, headers: { 'content-type': 'text/plain' }, body: 'error code: 1015' };
      if (vs === 'usd' && k === 2) return { status: 503, headers: { 'content-type': 'text/html' }, body: '<html><title>503</title></html>' };
      if (k === 4) return { stale: ['bitcoin', 'ethereum'] };
      if (k === 5) return { stale: ['ethereum'] };
      return undefined;
    });
    const store = join(tmp(), 'market');
    const argv = (count: number) => ['ingest', '--store', store, '--ids', 'bitcoin,ethereum', '--vs', 'usd,eur', '--interval', '0.25', '--count', String(count), '--base-url', server.baseUrl, '--calls-per-minute', '600000'];
    const first = await runCli(argv(4), { COINGECKO_API_KEY: KEY });
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.equal(`tfpl ingest: 12 row(s) of 4 series written to ${store} in 4 tick(s): 4 commit(s), 2 of them with failed calls; 0 unchanged, 0 skipped, 0 missed; 0 compaction(s). Data provided by CoinGecko.\n`);
    expect(first.stderr).to.match(/tfpl ingest: warn: collectMarket: tick 1: \/simple\/price in eur failed, its series get no row this tick: .*HTTP 429.* \[rate-limited\]\n/);
    expect(first.stderr).to.match(/tfpl ingest: warn: collectMarket: tick 2: \/simple\/price in usd failed, .* \[http-status\]\n/);

    const second = await runCli(argv(3), { COINGECKO_API_KEY: KEY });
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.contain('tfpl ingest: 6 row(s) of 4 series written to');
    expect(second.stdout).to.contain(' in 3 tick(s): 2 commit(s), 0 of them with failed calls; 1 unchanged, 0 skipped, 0 missed;');
    // Exactly what the server served, each row once, each series in time order, read by DuckDB.
    expect(await duckRows(store)).to.deep.equal(replay.servedRows());
    expect((await openStore(store)).numRows).to.equal(18);
    expect(server.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('vs_currencies'))).to.have.length(14);
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.to.contain(KEY);
  });

  it('checks its command line', async () => {
    const cases: [string[], string][] = [
      [['--interval', '1'], '--csv <file> or --store <dir> is required'],
      [['--interval', '1', '--csv', 'a.csv', '--store', 'st'], 'give one of --csv <file> (one series), --store <dir> (a MarketSchema store), not both'],
      [['--interval', '1', '--csv', 'a.csv', '--ids', 'bitcoin,ethereum'], '--ids writes a MarketSchema store: give --store <dir> (a CSV holds one series)'],
      [['--interval', '1', '--csv', 'a.csv', '--vs', 'usd,eur'], '--vs usd,eur names 2 currencies: several series need --store'],
      [['--interval', '1', '--csv', 'a.csv', '--compact-after', '4'], '--compact-after needs --store (a CSV is not compacted)'],
      [['--interval', '1', '--store', 'st', '--id', 'bitcoin', '--ids', 'ethereum'], 'give --id <coin> or --ids <a,b,...>, not both'],
      [['--interval', '1', '--store', 'st', '--ids', 'bitcoin,,ethereum'], '--ids must be a comma-separated list of names; received "bitcoin,,ethereum"'],
      [['--interval', '1', '--store', 'st', '--ids', 'bitcoin', '--compact-after', 'soon'], '--compact-after must be an integer >= 0; received "soon"'],
    ];
    for (const [argv, message] of cases) {
      const err = await ingestCommand.run(argv, { stdout: process.stdout, stderr: process.stderr, env: {} }).catch((e: unknown) => e);
      expect(err, message).to.be.instanceOf(UsageError);
      expect((err as Error).message).to.equal(message);
    }
    expect(server.requests).to.have.length(0);
  });

  it('on SIGINT finishes the commit in progress and exits 0; the store holds every row reported, no debris', async function () {
    new MarketReplay(server, T0);
    const store = join(tmp(), 'market');
    const entry = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const script = `const { main } = await import(${JSON.stringify(pathToFileURL(entry).href)});
process.exitCode = await main(process.argv.slice(1));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', 'ingest', '--store', store, '--ids', 'bitcoin,ethereum', '--vs', 'usd,eur', '--interval', '0.05', '--compact-after', '3', '--base-url', server.baseUrl, '--calls-per-minute', '600000'], {
      env: { ...process.env, COINGECKO_API_KEY: KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // interrupt once five ticks were committed (a compaction has run or is running by then)
    const stored = await new Promise<boolean>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if ((stderr.match(/: stored \d+ row\(s\) in one commit/g) ?? []).length === 5) resolve(true);
      });
      void exited.then(() => resolve(false));
    });
    child.kill('SIGINT');
    const code = await exited;
    expect(stored, stderr).to.equal(true);
    expect(code, stderr).to.equal(0);
    expect(stderr).to.contain('tfpl ingest: interrupted; finishing the current write');
    const rows = Number(/tfpl ingest: (\d+) row\(s\) of 4 series/.exec(stdout)?.[1]);
    // every commit the log reported (a tick whose calls ran out of time stores fewer than 4 rows)
    const reported = [...stderr.matchAll(/: stored (\d+) row\(s\) in one commit/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(rows).to.equal(reported).and.be.at.least(5);
    expect((await openStore(store)).numRows).to.equal(rows);
    expect(stdout).to.match(/; [1-9]\d* compaction\(s\)\./);
    // No lock, no temporary file, no data file outside what _metadata lists or keeps for older readers.
    const names = readdirSync(store);
    expect(names.filter((n) => n === LOCK_FILE || n.startsWith(TEMP_PREFIX) || n.endsWith('.lock'))).to.deep.equal([]);
    const committed = new Set((await openStore(store)).files.map((f) => f.path));
    const kept = names.filter((n) => isDataFileName(n) && !committed.has(n));
    expect(kept.length).to.be.greaterThan(0); // the parts the compactions replaced, within their retention
    expect(stdout + stderr).not.to.contain(KEY);
  });
});
