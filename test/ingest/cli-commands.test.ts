import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import backfillCommand, { parseDateFlag } from '../../src/cli/commands/backfill.js';
import ingestCommand from '../../src/cli/commands/ingest.js';
import { type CliIO, UsageError } from '../../src/cli/command.js';
import { ConfigError } from '../../src/errors.js';
import { parseMarketChart } from '../../src/ingest/market-chart.js';
import { CSV_HEADER, formatCsvRow } from '../../src/ingest/price-row.js';
import { makeTfDataset } from '../../src/index.js';
import { duck, lit } from '../duckdb.js';
import { needFiles, sharedData } from '../shared-data.js';
import { ReplayServer, rangeHandler, recorded, SIMPLE_PRICE_FILE, simplePriceBody } from './replay-server.js';

const KEY = 'CG-cli-secret-7c1d';
const T0 = 1711356300;
const FILE = 'market_chart_range/janneras_bitcoin_eur_2021_01_01-2021_02_28.json';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('tfpl ingest / tfpl backfill', function () {
  let dir: string;
  let tmp: string;
  let server: ReplayServer;
  let io: CliIO & { stdout: Capture; stderr: Capture };

  before(function () {
    dir = sharedData(this, 'coingecko');
  });
  beforeEach(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tfpl-cli-ingest-'));
    server = await ReplayServer.start();
    io = { stdout: new Capture(), stderr: new Capture(), env: { COINGECKO_API_KEY: KEY } };
  });
  afterEach(async () => {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('ingest polls at the interval, writes the good rows, logs the skipped tick and never prints the key', async function () {
    needFiles(this, dir, SIMPLE_PRICE_FILE);
    server.queue('/simple/price', { body: simplePriceBody(dir) }, { status: 429, headers: { 'content-type': 'text/plain' }, body: 'error code: 1015' }, { body: simplePriceBody(dir, { last_updated_at: T0 + 60 }) });
    const csv = join(tmp, 'btc.csv');
    const code = await ingestCommand.run(['--interval', '0.2', '--count', '3', '--csv', csv, '--base-url', server.baseUrl, '--calls-per-minute', '60000'], io);
    expect(code).to.equal(0);
    expect(readFileSync(csv, 'utf8')).to.equal(
      `${CSV_HEADER}\n2024-03-25T08:45:00.000Z,67187.3358936566,1317802988326.25,3.63727894677354,31260929299.5248\n2024-03-25T08:46:00.000Z,67187.3358936566,1317802988326.25,3.63727894677354,31260929299.5248\n`,
    );
    expect(io.stdout.text).to.equal(`tfpl ingest: 2 row(s) written to ${csv} in 3 tick(s) (0 unchanged, 1 skipped, 0 missed). Data provided by CoinGecko.\n`);
    expect(io.stderr.text).to.match(/tfpl ingest: warn: collect: tick 1 skipped: .*HTTP 429 \(error_code 1015: error code: 1015\).* \[rate-limited\]\n/);
    expect(server.requests.map((r) => r.headers['x-cg-demo-api-key'])).to.deep.equal([KEY, KEY, KEY]);
    expect(io.stdout.text + io.stderr.text + server.requests.map((r) => r.url).join()).not.to.contain(KEY);
  });

  it('ingest rejects a bad command line with a UsageError and a bad COINGECKO_PLAN with a ConfigError', async () => {
    const csv = join(tmp, 'x.csv');
    for (const [argv, message] of [
      [['--csv', csv], '--interval <sec> is required'],
      [['--interval', '1'], '--csv <file> or --store <dir> is required'],
      [['--interval', 'soon', '--csv', csv], '--interval must be a number of seconds >= 0.001; received "soon"'],
      [['--interval', '1', '--csv', csv, '--count', '0'], '--count must be an integer >= 1; received "0"'],
    ] as const) {
      let error: unknown;
      try {
        await ingestCommand.run([...argv], io);
      } catch (err) {
        error = err;
      }
      expect(error, message).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.equal(message);
    }
    let error: unknown;
    try {
      await ingestCommand.run(['--interval', '1', '--csv', csv], { ...io, env: { COINGECKO_PLAN: 'free' } });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.equal(`COINGECKO_PLAN must be one of 'demo', 'pro'; received "free"`);
    expect(existsSync(csv)).to.equal(false);
  });

  it('backfill --csv writes the range with progress on stderr, and a rerun resumes', async () => {
    server.route('/coins/bitcoin/market_chart/range', rangeHandler(JSON.parse(recorded(dir, FILE))));
    const csv = join(tmp, 'hist.csv');
    const argv = ['--from', '2021-01-10', '--to', '2021-01-20T12:00', '--vs', 'eur', '--chunk-days', '5', '--csv', csv, '--base-url', server.baseUrl, '--calls-per-minute', '60000'];
    expect(await backfillCommand.run(argv, io)).to.equal(0);
    const parsed = parseMarketChart(JSON.parse(recorded(dir, FILE)));
    if (!parsed.ok) throw new Error(parsed.problem);
    const expected = parsed.rows.filter((r) => r.timestamp >= Date.UTC(2021, 0, 10) && r.timestamp <= Date.UTC(2021, 0, 20, 12));
    expect(readFileSync(csv, 'utf8')).to.equal(`${CSV_HEADER}\n${expected.map(formatCsvRow).join('\n')}\n`);
    expect(io.stderr.text.trim().split('\n').map((l) => l.replace(/: \+\d+ rows \(\d+ total\)$/, ''))).to.deep.equal([
      'tfpl backfill: chunk 1/3 2021-01-10 00:00 .. 2021-01-13 23:29',
      'tfpl backfill: chunk 2/3 2021-01-13 23:30 .. 2021-01-17 22:59',
      'tfpl backfill: chunk 3/3 2021-01-17 23:00 .. 2021-01-20 12:00',
    ]);
    expect(io.stdout.text).to.equal(`tfpl backfill: ${expected.length} row(s) written to ${csv} in 3 chunk(s); last row ${new Date(expected.at(-1)!.timestamp).toISOString()}. Data provided by CoinGecko.\n`);

    io.stdout.text = '';
    expect(await backfillCommand.run(argv, io)).to.equal(0);
    expect(io.stdout.text).to.contain(`0 row(s) written to ${csv} in 1 chunk(s) (resumed after ${new Date(expected.at(-1)!.timestamp).toISOString()})`);
    expect(readFileSync(csv, 'utf8').trim().split('\n')).to.have.length(expected.length + 1);
  });

  it('backfill --store appends to a BitcoinSchema store and resumes from its last timestamp', async () => {
    server.route('/coins/bitcoin/market_chart/range', rangeHandler(JSON.parse(recorded(dir, FILE))));
    const store = join(tmp, 'store');
    const argv = ['--from', '2021-01-10', '--to', '2021-01-20', '--vs', 'eur', '--chunk-days', '5', '--store', store, '--base-url', server.baseUrl, '--calls-per-minute', '60000'];
    expect(await backfillCommand.run(argv, io)).to.equal(0);
    const parsed = parseMarketChart(JSON.parse(recorded(dir, FILE)));
    if (!parsed.ok) throw new Error(parsed.problem);
    const expected = parsed.rows.filter((r) => r.timestamp >= Date.UTC(2021, 0, 10) && r.timestamp <= Date.UTC(2021, 0, 20));
    const last = new Date(expected.at(-1)!.timestamp).toISOString();
    expect(io.stdout.text).to.equal(`tfpl backfill: ${expected.length} row(s) written to ${store} in 3 chunk(s); last row ${last}. Data provided by CoinGecko.\n`);
    io.stdout.text = '';
    expect(await backfillCommand.run(argv, io)).to.equal(0);
    expect(io.stdout.text).to.contain(`0 row(s) written to ${store} in 1 chunk(s) (resumed after ${last})`);
  });

  it('backfill --ids --vs fills one MarketSchema store with every coin in every currency, each series resuming on its own', async () => {
    const body = JSON.parse(recorded(dir, FILE)) as { prices: [number, number][]; market_caps: [number, number][]; total_volumes: [number, number][] };
    // A different price level per coin and currency, so a row in the wrong series would show.
    const scale = (coin: string, vs: string) => (coin === 'ethereum' ? 0.05 : 1) * (vs === 'usd' ? 1.2 : 1);
    const scaled = (k: number) => {
      const s = (xs: [number, number][]) => xs.map(([t, v]): [number, number] => [t, v * k]);
      return { prices: s(body.prices), market_caps: s(body.market_caps), total_volumes: s(body.total_volumes) };
    };
    for (const coin of ['bitcoin', 'ethereum']) server.route(`/coins/${coin}/market_chart/range`, (url, req) => rangeHandler(scaled(scale(coin, url.searchParams.get('vs_currency')!)))(url, req));
    const store = join(tmp, 'market');
    const common = ['--from', '2021-01-10', '--to', '2021-01-20', '--chunk-days', '5', '--store', store, '--base-url', server.baseUrl, '--calls-per-minute', '60000'];
    // An interrupted run that stored one series only: the full run resumes it and fills the others.
    expect(await backfillCommand.run([...common, '--ids', 'bitcoin', '--vs', 'usd'], io)).to.equal(0);
    io.stdout.text = '';
    expect(await backfillCommand.run([...common, '--ids', 'bitcoin,ethereum', '--vs', 'usd,eur'], io)).to.equal(0);
    const expected = ['bitcoin', 'ethereum'].flatMap((coin) =>
      ['eur', 'usd'].flatMap((vs) => {
        const parsed = parseMarketChart(scaled(scale(coin, vs)));
        if (!parsed.ok) throw new Error(parsed.problem);
        return parsed.rows.filter((r) => r.timestamp >= Date.UTC(2021, 0, 10) && r.timestamp <= Date.UTC(2021, 0, 20)).map((r) => [coin, vs, r.timestamp, r.price_usd]);
      }),
    );
    const perSeries = expected.length / 4;
    const btcUsdLast = new Date(expected[3 * perSeries - 1]![2] as number).toISOString();
    expect(io.stdout.text).to.contain(`tfpl backfill: ${3 * perSeries} row(s) of 4 series written to ${store}:\n`);
    expect(io.stdout.text).to.contain(`  bitcoin/usd: 0 row(s) in 1 chunk(s) (resumed after ${btcUsdLast})`);
    expect(io.stdout.text).to.contain(`  ethereum/eur: ${perSeries} row(s) in 3 chunk(s)`);
    // A second reader sees every series complete, in its own currency.
    const rows = await duck(`SELECT coin, vs, epoch_ms(timestamp)::DOUBLE AS t, price FROM read_parquet(${lit(join(store, '*.parquet'))}) ORDER BY coin, vs, timestamp`);
    expect(rows.map((r) => [r.coin, r.vs, r.t, r.price])).to.deep.equal(expected);
    // The loader windows each series on its own.
    const ds = await makeTfDataset(store, { features: ['price'], targets: ['price'], windowSize: 24, seriesColumns: ['coin', 'vs'], timestampColumn: 'timestamp' });
    expect(ds.seriesKeys).to.deep.equal([['bitcoin', 'usd'], ['bitcoin', 'eur'], ['ethereum', 'usd'], ['ethereum', 'eur']]);
    expect(ds.windowsPerEpoch).to.equal(4 * (perSeries - 24));
    io.stdout.text = '';
    expect(await backfillCommand.run([...common, '--ids', 'bitcoin,ethereum', '--vs', 'usd,eur'], io)).to.equal(0);
    expect(io.stdout.text).to.contain('tfpl backfill: 0 row(s) of 4 series');
  });

  it('backfill checks its command line', async () => {
    const cases: Array<[string[], string]> = [
      [['--to', '2021-01-02', '--csv', 'x.csv'], '--from <date> is required'],
      [['--from', '01/02/2021', '--to', '2021-01-02', '--csv', 'x.csv'], '--from must be a UTC date such as 2025-01-01 or 2025-01-01T06:00; received "01/02/2021"'],
      [['--from', '2021-01-02', '--to', '2021-01-01', '--csv', 'x.csv'], '--to must be later than --from; received "2021-01-02" .. "2021-01-01"'],
      [['--from', '2021-01-01', '--to', '2021-01-02'], 'give exactly one of --csv <file>, --store <dir>'],
      [['--from', '2021-01-01', '--to', '2021-01-02', '--csv', 'x.csv', '--store', 'st'], 'give exactly one of --csv <file>, --store <dir>'],
      [['--from', '2021-01-01', '--to', '2021-01-02', '--csv', 'x.csv', '--chunk-days', '1'], '--chunk-days must be an integer >= 2; received "1"'],
      [['--from', '2021-01-01', '--to', '2021-01-02', '--csv', 'x.csv', '--ids', 'bitcoin,solana'], '--ids writes a MarketSchema store: give --store <dir> (a CSV holds one series)'],
      [['--from', '2021-01-01', '--to', '2021-01-02', '--csv', 'x.csv', '--vs', 'usd,eur'], '--vs usd,eur names 2 currencies: several series need --ids and --store'],
      [['--from', '2021-01-01', '--to', '2021-01-02', '--store', 'st', '--id', 'bitcoin', '--ids', 'solana'], 'give --id <coin> (one series) or --ids <a,b,...> (a MarketSchema store), not both'],
      [['--from', '2021-01-01', '--to', '2021-01-02', '--store', 'st', '--ids', 'bitcoin,,solana'], '--ids must be a comma-separated list of names; received "bitcoin,,solana"'],
    ];
    for (const [argv, message] of cases) {
      let error: unknown;
      try {
        await backfillCommand.run(argv, io);
      } catch (err) {
        error = err;
      }
      expect(error, message).to.be.instanceOf(UsageError);
      expect((error as Error).message).to.equal(message);
    }
    expect(server.requests).to.have.length(0);
  });

  it('parses --from/--to as UTC', () => {
    expect(parseDateFlag('from', '2021-01-10')).to.equal(Date.UTC(2021, 0, 10));
    expect(parseDateFlag('from', '2021-01-10T06:30')).to.equal(Date.UTC(2021, 0, 10, 6, 30));
    expect(parseDateFlag('from', '2021-01-10T06:30:00+02:00')).to.equal(Date.UTC(2021, 0, 10, 4, 30));
    expect(parseDateFlag('to', 'now', 1234)).to.equal(1234);
  });
});

describe('tfpl ingest in a child process', function () {
  let dir: string;
  before(function () {
    dir = sharedData(this, 'coingecko');
  });

  it('on SIGINT finishes the current write and exits 0 with its summary', async function () {
    this.timeout(20_000);
    needFiles(this, dir, SIMPLE_PRICE_FILE);
    const server = await ReplayServer.start();
    let n = 0;
    server.route('/simple/price', () => ({ body: simplePriceBody(dir, { last_updated_at: T0 + 60 * n++ }) }));
    const tmp = mkdtempSync(join(tmpdir(), 'tfpl-cli-sigint-'));
    const csv = join(tmp, 'btc.csv');
    const entry = fileURLToPath(new URL('../../src/cli/commands/ingest.ts', import.meta.url));
    const script = `const { default: c } = await import(${JSON.stringify(pathToFileURL(entry).href)});
process.exitCode = await c.run(process.argv.slice(1), { stdout: process.stdout, stderr: process.stderr, env: process.env });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', '--interval', '0.05', '--csv', csv, '--base-url', server.baseUrl, '--calls-per-minute', '60000'], {
      env: { ...process.env, COINGECKO_API_KEY: KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // interrupt once the collector has stored its third row (or give up if the child died first)
    const stored = await new Promise<boolean>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        if ((stderr.match(/: stored /g) ?? []).length === 3) resolve(true);
      });
      void exited.then(() => resolve(false));
    });
    child.kill('SIGINT');
    const code = await exited;
    await server.close();
    try {
      expect(stored, stderr).to.equal(true);
      expect(code).to.equal(0);
      expect(stderr).to.contain('tfpl ingest: interrupted; finishing the current write');
      const lines = readFileSync(csv, 'utf8').split('\n');
      expect(lines.at(-1)).to.equal(''); // every row complete
      const written = Number(/(\d+) row\(s\) written/.exec(stdout)?.[1]);
      expect(lines.slice(1, -1)).to.have.length(written);
      expect(written).to.be.at.least(3);
      const stamps = lines.slice(1, -1).map((l) => Date.parse(l.split(',')[0]!));
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).to.be.a('number').and.be.at.least(60_000);
      expect(stdout + stderr).not.to.contain(KEY);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
