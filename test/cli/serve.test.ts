import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { ServeIO } from '../../src/cli/commands/serve.js';
import { defineSchema, materializeDataset, openStore } from '../../src/index.js';
import { useTmpDir } from '../tmp-dir.js';
import { runCli } from './run-cli.js';

const Ticks = defineSchema('Ticks', [
  { name: 'timestamp', dtype: 'timestamp' },
  { name: 'price', dtype: 'float32' },
]);

/** `tfpl serve …` in-process: resolves with the printed URL once it listens; `stop()` aborts it and resolves with its exit and output. */
async function startServe(argv: string[]): Promise<{ url: string; line: string; stop(how?: 'signal' | NodeJS.Signals): Promise<{ code: number; stdout: string; stderr: string }> }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = { stdout: '', stderr: '' };
  stderr.on('data', (c) => (out.stderr += c));
  const controller = new AbortController();
  const io: ServeIO = { stdout, stderr, env: {}, signal: controller.signal };
  const line = new Promise<string>((resolve) =>
    stdout.on('data', (c) => {
      out.stdout += c;
      if (out.stdout.includes('\n')) resolve(out.stdout);
    }),
  );
  const done = main(['serve', ...argv], io);
  const first = await Promise.race([line, done.then((code) => `exited ${code}: ${out.stderr}`)]);
  const url = /at (http:\/\/\S+)/.exec(first)?.[1];
  if (!url) throw new Error(`tfpl serve did not start: ${first}`);
  return {
    url,
    line: first,
    async stop(how = 'signal') {
      if (how === 'signal') controller.abort();
      else process.emit(how, how);
      const code = await done;
      return { code, ...out };
    },
  };
}

describe('tfpl serve', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  async function writeStore(): Promise<string> {
    const dir = join(tmp(), 'store');
    const n = 500;
    await materializeDataset(dir, Ticks, { numRows: n, columns: { timestamp: new Float64Array(n).map((_, i) => Date.UTC(2024, 0, 1) + i * 60_000), price: new Float32Array(n).map((_, i) => 100 + i) } }, { rowGroupSize: 100 });
    return dir;
  }

  it('prints the URL, serves ranges with CORS, and returns 0 when stopped', async () => {
    const dir = await writeStore();
    const served = await startServe([dir, '--port', '0']);
    expect(served.line).to.match(/^serving .*store at http:\/\/127\.0\.0\.1:\d+\/ \(Range, CORS \*\); open it with makeTfDataset\('http:\/\/127\.0\.0\.1:\d+\/'\) — Ctrl-C stops\n$/);
    const part = readdirSync(dir).find((f) => f.endsWith('.parquet'))!;
    const res = await fetch(`${served.url}${part}`, { headers: { range: 'bytes=-4' } });
    expect(res.status).to.equal(206);
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(dir, part)).subarray(-4))).to.equal(true);
    const store = await openStore(served.url);
    expect(store.numRows).to.equal(500);
    const end = await served.stop();
    expect(end.code).to.equal(0);
    expect(end.stderr).to.equal('tfpl serve: stopped\n');
    let refused = false;
    await fetch(`${served.url}_metadata`).catch(() => (refused = true));
    expect(refused).to.equal(true); // no longer listening
  });

  it('listens to SIGINT and SIGTERM while serving, stops on SIGTERM with exit 0, and leaves no listener behind', async () => {
    const dir = await writeStore();
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const served = await startServe([dir, '--port', '0']);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).to.deep.equal([before[0]! + 1, before[1]! + 1]);
    // SIGTERM only: emitting SIGINT in-process would also reach any SIGINT listener of the test runner.
    const end = await served.stop('SIGTERM');
    expect(end).to.deep.include({ code: 0, stderr: 'tfpl serve: interrupted (SIGTERM); stopped\n' });
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).to.deep.equal(before);
  });

  it('--header makes a header required (401 without it), --no-cors sends no CORS headers, --cors-origin one origin', async () => {
    const dir = await writeStore();
    const locked = await startServe([dir, '--port', '0', '--no-cors', '--header', 'Authorization: Bearer k']);
    try {
      expect(locked.line).to.contain('(Range, no CORS, requires authorization)');
      const no = await fetch(`${locked.url}_metadata`, { headers: { range: 'bytes=0-3' } });
      expect(no.status).to.equal(401);
      const yes = await fetch(`${locked.url}_metadata`, { headers: { range: 'bytes=0-3', authorization: 'Bearer k' } });
      expect(yes.status).to.equal(206);
      expect([...yes.headers.keys()].filter((k) => k.startsWith('access-control-'))).to.deep.equal([]);
    } finally {
      expect((await locked.stop()).code).to.equal(0);
    }
    const one = await startServe([dir, '--port', '0', '--cors-origin', 'https://app.example.com']);
    try {
      const res = await fetch(`${one.url}_metadata`, { method: 'HEAD' });
      expect(res.headers.get('access-control-allow-origin')).to.equal('https://app.example.com');
      expect(res.headers.get('vary')).to.equal('Origin');
    } finally {
      await one.stop();
    }
  });

  it('a missing store exits 1 with the StoreError; a bad command line exits 2 with the usage', async () => {
    const missing = join(tmp(), 'nope');
    const r = await runCli(['serve', missing, '--port', '0']);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.equal(`tfpl serve: StoreError: serveStore: store ${missing} does not exist; check the path, or create the store with materializeDataset() or \`tfpl materialize\`\n`);
    for (const [argv, message] of [
      [[], 'expected exactly one store folder; received 0'],
      [['a', 'b'], 'expected exactly one store folder; received 2'],
      [['a', '--port', 'x'], '--port must be an integer >= 0; received "x"'],
      [['a', '--port', '70000'], '--port must be an integer from 0 to 65535; received "70000"'],
      [['a', '--no-cors', '--cors-origin', '*'], '--cors-origin and --no-cors exclude each other'],
      [['a', '--header', 'no colon'], '--header must look like "Name: value"'],
      [['a', '--cors'], "Unknown option '--cors'"],
    ] as const) {
      const bad = await runCli(['serve', ...argv]);
      expect(bad.code, argv.join(' ')).to.equal(2);
      expect(bad.stderr, argv.join(' ')).to.contain(`tfpl serve: ${message}`);
      expect(bad.stderr).to.contain('Usage: tfpl serve <store>');
    }
    const help = await runCli(['serve', '--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage: tfpl serve <store> \[--port N\]/);
    expect((await runCli(['--help'])).stdout).to.match(/\n {2}metadata .*\n {2}serve {8}serve a store over HTTP with Range and CORS/);
  });
});
