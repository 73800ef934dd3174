import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayServer, type ReplayStep } from '../ingest/replay-server.js';
import { ScriptChild } from './child-process.js';
import { reliabilityCounts } from './counts.js';

/**
 * The API key never appears in anything the CLI logs, even in failing runs against a hostile API that echoes
 * the key back in error bodies, HTML pages, redirect locations and 200 error bodies. Every run is a real
 * process (cli-child.ts) whose whole stdout and stderr are searched, for the key as is and URL-encoded.
 */

// Shaped like a real key ("CG-" and 22 letters and digits): URL-encoding leaves it unchanged.
const KEY = 'CG-s3cr3tK3yXq7Lm2Np9Rt4W';
const FORMS = [KEY, Buffer.from(KEY).toString('base64')];

interface Run {
  what: string;
  argv: (server: ReplayServer, tmp: string) => string[];
  env?: Record<string, string>;
  failing: boolean;
}

const RUNS: Run[] = [
  { what: 'ingest (demo plan), every answer an error that echoes the key', argv: (s, t) => ['ingest', '--interval', '0.15', '--count', '7', '--csv', join(t, 'i.csv'), '--base-url', s.baseUrl, '--calls-per-minute', '60000'], failing: false },
  { what: 'ingest (pro plan), every answer an error that echoes the key', env: { COINGECKO_PLAN: 'pro' }, argv: (s, t) => ['ingest', '--interval', '0.15', '--count', '7', '--csv', join(t, 'p.csv'), '--base-url', s.baseUrl, '--calls-per-minute', '60000'], failing: false },
  { what: 'backfill failing on errors that echo the key', argv: (s, t) => ['backfill', '--from', '2025-01-01', '--to', '2025-01-03', '--csv', join(t, 'b.csv'), '--base-url', s.baseUrl, '--calls-per-minute', '60000'], failing: true },
  { what: 'ingest into a path that is a folder', argv: (s, t) => ['ingest', '--interval', '1', '--count', '1', '--csv', t, '--base-url', s.baseUrl], failing: true },
  { what: 'ingest with an unknown plan', env: { COINGECKO_PLAN: 'enterprise' }, argv: (_s, t) => ['ingest', '--interval', '1', '--count', '1', '--csv', join(t, 'y.csv')], failing: true },
];

/** Answers that echo the request's key back in every place an API or a proxy might, in turn. */
function echoingServer(server: ReplayServer): void {
  let k = 0;
  const echo = (url: URL, headers: Record<string, string | string[] | undefined>): ReplayStep => {
    const key = String(headers['x-cg-demo-api-key'] ?? headers['x-cg-pro-api-key'] ?? '');
    switch (k++ % 6) {
      case 0:
        return { status: 401, body: JSON.stringify({ status: { error_code: 10002, error_message: `Invalid API key ${key}` } }) };
      case 1:
        return { status: 500, headers: { 'content-type': 'text/html' }, body: `<html><title>500 for key ${key}</title><body>${key}</body></html>` };
      case 2:
        return { status: 302, headers: { location: `https://evil.example/steal?x_cg_demo_api_key=${encodeURIComponent(key)}` }, body: '' };
      case 3:
        return { body: JSON.stringify({ status: { error_code: 10010, error_message: `key ${key} is for another plan` } }) };
      case 4:
        return { status: 429, headers: { 'retry-after': '1', 'content-type': 'text/plain' }, body: `error code: 1015 (${key})` };
      default:
        return { status: 400, body: JSON.stringify({ error: `bad request ${url.search} ${key}` }) };
    }
  };
  server.route('/simple/price', (url, req) => echo(url, req.headers));
  server.route('/coins/bitcoin/market_chart/range', (url, req) => echo(url, req.headers));
}

describe('reliability: the API key never reaches the logs', function () {
  this.timeout(60_000);
  let server: ReplayServer;
  let tmp: string;
  const results = new Map<Run, { code: number | null; logged: string }>();

  before(async () => {
    server = await ReplayServer.start();
    echoingServer(server);
    tmp = mkdtempSync(join(tmpdir(), 'tfpl-secrets-'));
    // all runs at once: each CLI process spends most of its time loading the SDK
    await Promise.all(
      RUNS.map(async (run) => {
        // not bundled: main.ts loads its commands with a computed import() that a bundle cannot follow
        const child = await ScriptChild.start('cli-child.ts', run.argv(server, tmp), { COINGECKO_API_KEY: KEY, ...run.env }, { bundle: false });
        const exit = await child.exited;
        results.set(run, { code: exit.code, logged: `${child.lines.join('\n')}\n${child.stderr}` });
      }),
    );
  });

  after(async () => {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const run of RUNS) {
    it(`${run.what}: exit ${run.failing ? '!= 0' : '0'}, the key absent from stdout and stderr`, () => {
      const { code, logged } = results.get(run)!;
      if (run.failing) expect(code, logged).to.not.equal(0);
      else expect(code, logged).to.equal(0);
      expect(logged.trim().length, 'the run logged something').to.be.greaterThan(0);
      for (const form of FORMS) expect(logged, `everything logged by: tfpl ${run.argv(server, tmp).join(' ')}`).not.to.contain(form);
      reliabilityCounts.add('secrets.cliRuns', 1);
    });
  }

  it('the key was really in play: every request carried it, every echo kind was served, no CSV holds it', () => {
    // The two ingest runs skip a tick they cannot make on time (a loaded machine): at least a few requests each,
    // with the demo plan's header and the pro plan's.
    expect(server.requests.length).to.be.at.least(6);
    expect(server.requests.filter((r) => r.headers['x-cg-demo-api-key'] !== undefined).length, 'demo-plan requests').to.be.at.least(2);
    expect(server.requests.filter((r) => r.headers['x-cg-pro-api-key'] !== undefined).length, 'pro-plan requests').to.be.at.least(2);
    for (const r of server.requests) expect(r.headers['x-cg-demo-api-key'] ?? r.headers['x-cg-pro-api-key']).to.equal(KEY);
    for (const csv of ['i.csv', 'p.csv', 'b.csv']) if (existsSync(join(tmp, csv))) for (const form of FORMS) expect(readFileSync(join(tmp, csv), 'utf8')).not.to.contain(form);
    reliabilityCounts.add('secrets.requestsEchoingKey', server.requests.length);
  });

  // Regression test (fixed in a6041f7): a key with characters that URL-encoding changes used to leak in
  // URL-encoded form through a redirect location ("redirect to https://…?x_cg_demo_api_key=CG-a%2Bb… not followed").
  it('a key with URL-special characters does not leak URL-encoded through a redirect location', async () => {
    const odd = 'CG-s3cr3t+K3y/with=chars';
    const child = await ScriptChild.start('cli-child.ts', ['ingest', '--interval', '0.15', '--count', '4', '--csv', join(tmp, 'odd.csv'), '--base-url', server.baseUrl, '--calls-per-minute', '60000'], { COINGECKO_API_KEY: odd }, { bundle: false });
    await child.exited;
    expect(`${child.lines.join('\n')}\n${child.stderr}`).not.to.contain(encodeURIComponent(odd));
  });
});
