import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  StoreError,
  defineSchema,
  makeBatchReader,
  materializeDataset,
  serveStore,
  storeRequestHandler,
  type StoreServer,
  type StoreServerLogEntry,
} from '../../src/index.js';
import { datasetWindows } from '../windowing/helpers.js';

const T0 = Date.UTC(2024, 0, 1);
const ROWS = 3_000;
const Sensor = defineSchema('Sensor', [
  { name: 'timestamp', dtype: 'timestamp' },
  { name: 'x', dtype: 'float32' },
  { name: 'y', dtype: 'float64' },
  { name: 'label', dtype: 'string' },
]);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request with the path sent exactly as given (fetch would normalise `..` away), on a fresh connection. */
function get(base: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const corsHeaders = (h: IncomingHttpHeaders) => Object.keys(h).filter((k) => k.startsWith('access-control-'));

describe('store server: a store over HTTP with Range and CORS', function () {
  this.timeout(60_000);
  let tmp = '';
  let store = '';
  let part = '';
  let served: StoreServer;
  const log: StoreServerLogEntry[] = [];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tfpl-serve-'));
    store = join(tmp, 'store');
    const timestamp = new Float64Array(ROWS).map((_, i) => T0 + i * 60_000);
    const x = new Float32Array(ROWS).map((_, i) => Math.sin(i / 10));
    // y and label hard to compress, so the columns a window dataset does not read hold most of the bytes.
    const hash = (i: number, k: number) => (Math.imul(i + 1, 2_654_435_761) ^ Math.imul(k, 40_503)) >>> 0;
    const y = new Float64Array(ROWS).map((_, i) => hash(i, 1) / 7);
    const label = Array.from({ length: ROWS }, (_, i) => `row-${i}-${hash(i, 2).toString(36)}${hash(i, 3).toString(36)}`);
    await materializeDataset(store, Sensor, { numRows: ROWS, columns: { timestamp, x, y, label } }, { rowGroupSize: 250, maxRowsPerFile: 1_000 });
    part = readdirSync(store).filter((f) => f.endsWith('.parquet')).sort()[0]!;
    served = await serveStore(store, { log: (e) => log.push(e) });
  });
  after(async () => {
    await served?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('bytes and ranges (RFC 9110)', () => {
    it('GET without Range: the whole file with its headers; HEAD: the same headers, no body', async () => {
      const bytes = readFileSync(join(store, part));
      const whole = await get(served.url, `/${part}`);
      expect(whole.status).to.equal(200);
      expect(whole.body.equals(bytes)).to.equal(true);
      expect(whole.headers).to.include({
        'content-length': String(bytes.length),
        'accept-ranges': 'bytes',
        'content-type': 'application/vnd.apache.parquet',
        'cache-control': 'no-cache',
      });
      expect(whole.headers.etag).to.match(/^"[0-9a-z]+-[0-9a-z]+-[0-9a-z]+"$/);
      expect(Date.parse(whole.headers['last-modified']!)).to.equal(Math.floor(statSync(join(store, part)).mtimeMs / 1000) * 1000);
      const head = await get(served.url, `/${part}`, { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.body.length).to.equal(0);
      expect(head.headers['content-length']).to.equal(String(bytes.length));
      expect(head.headers.etag).to.equal(whole.headers.etag);
      // Range is for GET only: a HEAD with Range describes the whole file.
      const headRange = await get(served.url, `/${part}`, { method: 'HEAD', headers: { range: 'bytes=0-9' } });
      expect(headRange.status).to.equal(200);
      expect(headRange.headers['content-length']).to.equal(String(bytes.length));
    });

    it('every single-range form returns exactly those bytes of the file, 206 with Content-Range', async () => {
      for (const file of [part, '_metadata', '_common_metadata']) {
        const bytes = readFileSync(join(store, file));
        const n = bytes.length;
        const cases: [string, number, number][] = [
          ['bytes=0-0', 0, 0],
          ['bytes=0-99', 0, 99],
          ['bytes=100-199', 100, 199],
          [`bytes=${n - 10}-${n + 100}`, n - 10, n - 1], // end past the file: clamped
          [`bytes=${n - 1}-`, n - 1, n - 1],
          ['bytes=50-', 50, n - 1],
          ['bytes=-1', n - 1, n - 1],
          ['bytes=-8', n - 8, n - 1], // the Parquet footer length and magic
          [`bytes=-${n + 5}`, 0, n - 1], // suffix longer than the file: all of it
          [`bytes=0-${n - 1}`, 0, n - 1],
          ['BYTES=7-9', 7, 9], // the unit is case-insensitive
        ];
        for (const [range, start, end] of cases) {
          const r = await get(served.url, `/${file}`, { headers: { range } });
          expect(r.status, `${file} ${range}`).to.equal(206);
          expect(r.headers['content-range'], `${file} ${range}`).to.equal(`bytes ${start}-${end}/${n}`);
          expect(r.headers['content-length']).to.equal(String(end - start + 1));
          expect(r.body.equals(bytes.subarray(start, end + 1)), `${file} ${range}`).to.equal(true);
        }
        expect((await get(served.url, `/${file}`)).headers['content-type']).to.equal(file.endsWith('.parquet') ? 'application/vnd.apache.parquet' : 'application/octet-stream');
      }
    });

    it('unsatisfiable ranges are 416 with Content-Range: bytes */size; invalid ones and multi-range get the whole file (200)', async () => {
      const bytes = readFileSync(join(store, part));
      const n = bytes.length;
      for (const range of [`bytes=${n}-`, `bytes=${n}-${n + 10}`, `bytes=${n + 1000}-`, 'bytes=-0']) {
        const r = await get(served.url, `/${part}`, { headers: { range } });
        expect(r.status, range).to.equal(416);
        expect(r.headers['content-range'], range).to.equal(`bytes */${n}`);
        expect(r.body.length).to.equal(0);
      }
      for (const range of ['bytes=0-1,4-5', 'bytes=-5, 0-3', 'bytes=9-2', 'items=0-1', 'bytes=abc', 'bytes=-', 'bytes=1-2-3']) {
        const r = await get(served.url, `/${part}`, { headers: { range } });
        expect(r.status, range).to.equal(200);
        expect(r.headers['content-range'], range).to.equal(undefined);
        expect(r.body.equals(bytes), range).to.equal(true);
      }
    });

    it('If-Range with the current ETag or date keeps the range, with another validator sends the whole file; If-None-Match gives 304', async () => {
      const first = await get(served.url, `/${part}`, { method: 'HEAD' });
      const etag = first.headers.etag!;
      const date = first.headers['last-modified']!;
      const n = Number(first.headers['content-length']);
      expect((await get(served.url, `/${part}`, { headers: { range: 'bytes=0-3', 'if-range': etag } })).status).to.equal(206);
      expect((await get(served.url, `/${part}`, { headers: { range: 'bytes=0-3', 'if-range': date } })).status).to.equal(206);
      const stale = await get(served.url, `/${part}`, { headers: { range: 'bytes=0-3', 'if-range': '"other"' } });
      expect(stale.status).to.equal(200);
      expect(stale.body.length).to.equal(n);
      expect((await get(served.url, `/${part}`, { headers: { range: 'bytes=0-3', 'if-range': `W/${etag}` } })).status).to.equal(200);
      const cached = await get(served.url, `/${part}`, { headers: { 'if-none-match': etag } });
      expect(cached.status).to.equal(304);
      expect(cached.body.length).to.equal(0);
      expect((await get(served.url, `/${part}`, { headers: { 'if-none-match': '"other"' } })).status).to.equal(200);
    });

    it('folders are 404, other methods 405; the prefix is part of the URL', async () => {
      for (const path of ['/', '//', `/${part}/`, '/nope.parquet']) expect((await get(served.url, path)).status, path).to.equal(404);
      const post = await get(served.url, `/${part}`, { method: 'POST' });
      expect(post.status).to.equal(405);
      expect(post.headers.allow).to.equal('GET, HEAD, OPTIONS');
      const prefixed = await serveStore(store, { prefix: '/data' });
      try {
        expect(prefixed.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/data\/$/);
        expect((await get(prefixed.url, `/data/${part}`, { headers: { range: 'bytes=0-3' } })).body.toString()).to.equal('PAR1');
        expect((await get(prefixed.url, `/${part}`)).status).to.equal(404);
        expect((await get(prefixed.url, '/data')).status).to.equal(404);
      } finally {
        await prefixed.close();
      }
    });
  });

  describe('the SDK reading through it', () => {
    it('makeTfDataset over HTTP gives the same windows as the local folder, with only ranged GETs of the needed chunks', async () => {
      const options = { features: ['x'], targets: ['x'], windowSize: 12, timestampColumn: 'timestamp', batchSize: 64, workers: 0 };
      const local = await datasetWindows(store, options);
      log.length = 0;
      const remote = await datasetWindows(served.url, options);
      expect(local.length).to.equal(ROWS - 12);
      expect(remote).to.deep.equal(local);
      const gets = log.filter((e) => e.method === 'GET');
      expect(gets.length).to.be.greaterThan(0);
      expect(gets.filter((e) => e.range === undefined).map((e) => e.path)).to.deep.equal([]); // no whole-file GET
      expect(gets.every((e) => e.status === 206 && !e.aborted)).to.equal(true);
      expect(log.every((e) => e.method === 'GET' || e.method === 'HEAD')).to.equal(true);
      // Footers and the chunks of timestamp and x only: no part read whole, well under half the parts' bytes.
      const parts = readdirSync(store).filter((f) => f.endsWith('.parquet'));
      const partGets = gets.filter((e) => e.path.endsWith('.parquet'));
      expect(new Set(partGets.map((e) => e.path.slice(1)))).to.deep.equal(new Set(parts));
      for (const e of partGets) expect(e.bytes).to.be.lessThan(statSync(join(store, e.path)).size / 2);
      const partBytes = parts.reduce((s, f) => s + statSync(join(store, f)).size, 0);
      const sentForParts = partGets.reduce((s, e) => s + e.bytes, 0);
      expect(sentForParts).to.be.greaterThan(0).and.lessThan(partBytes / 2);
    });

    it('makeBatchReader over HTTP gives the same batches as the local folder, and fetched exactly the bytes the server sent', async () => {
      const local = [];
      for await (const b of await makeBatchReader(store, { workers: 0, columns: ['y', 'label'] })) local.push(b);
      log.length = 0;
      const reader = await makeBatchReader(served.url, { workers: 0, columns: ['y', 'label'] });
      const remote = [];
      for await (const b of reader) remote.push(b);
      expect(remote.map((b) => b.numRows)).to.deep.equal(local.map((b) => b.numRows));
      expect(remote.map((b) => b.columns)).to.deep.equal(local.map((b) => b.columns));
      expect(reader.fetchStats!.bytesFetched).to.equal(log.reduce((s, e) => s + e.bytes, 0));
    });
  });

  describe('paths: nothing outside the store', () => {
    let root = '';
    const SECRET = 'the outside file: never served';
    before(() => {
      root = join(tmp, 'jail');
      mkdirSync(join(root, 'coin=btc', 'vs=usd'), { recursive: true });
      mkdirSync(join(root, 'my store'));
      writeFileSync(join(tmp, 'secret.txt'), SECRET);
      writeFileSync(join(root, 'a.parquet'), 'PAR1 a PAR1');
      writeFileSync(join(root, '_metadata'), 'summary');
      writeFileSync(join(root, 'coin=btc', 'vs=usd', 'part-0.parquet'), 'PAR1 hive PAR1');
      writeFileSync(join(root, 'my store', 'b c.parquet'), 'spaced');
      writeFileSync(join(root, '.tfpl-tmp-x.parquet.tmp'), 'in progress');
      symlinkSync(join(tmp, 'secret.txt'), join(root, 'out.parquet'));
      symlinkSync(tmp, join(root, 'outdir'));
      symlinkSync(join(root, 'a.parquet'), join(root, 'in.parquet'));
    });

    it('serves files, summary files, Hive key=value folders (encoded or not) and symlinks that stay inside', async () => {
      const s = await serveStore(root);
      try {
        for (const [path, body] of [
          ['/a.parquet', 'PAR1 a PAR1'],
          ['/_metadata', 'summary'],
          ['/coin=btc/vs=usd/part-0.parquet', 'PAR1 hive PAR1'],
          ['/coin%3Dbtc/vs%3Dusd/part-0.parquet', 'PAR1 hive PAR1'],
          ['/my%20store/b%20c.parquet', 'spaced'],
          ['/in.parquet', 'PAR1 a PAR1'],
          ['/a.parquet?v=1', 'PAR1 a PAR1'],
        ]) {
          const r = await get(s.url, path!);
          expect(r.status, path).to.equal(200);
          expect(r.body.toString(), path).to.equal(body);
        }
      } finally {
        await s.close();
      }
    });

    it('refuses .. in every spelling, backslashes, NUL, dot-files and symlinks leading out: 404, never the outside bytes', async () => {
      const seen: StoreServerLogEntry[] = [];
      const s = await serveStore(root, { log: (e) => seen.push(e) });
      try {
        const attempts = [
          '/../secret.txt',
          '/%2e%2e/secret.txt',
          '/%2E%2E/secret.txt',
          '/.%2e/secret.txt',
          '/..%2fsecret.txt',
          '/..%2Fsecret.txt',
          '/coin=btc/../../secret.txt',
          '/coin=btc/%2e%2e/%2e%2e/secret.txt',
          '/..%5csecret.txt',
          '/..\\secret.txt',
          '/%5c..%5csecret.txt',
          '/a.parquet%00',
          '/a.parquet%00.txt',
          `/%2F${encodeURIComponent(join(tmp, 'secret.txt').slice(1))}`,
          '/out.parquet',
          '/outdir/secret.txt',
          '/.tfpl-tmp-x.parquet.tmp',
          '/./a.parquet',
          '/%2e/a.parquet',
          '/coin=btc',
          '/%ZZ',
        ];
        for (const path of attempts) {
          for (const method of ['GET', 'HEAD']) {
            const r = await get(s.url, path, { method });
            expect(r.status, `${method} ${path}`).to.equal(404);
            expect(r.body.toString(), path).not.to.contain(SECRET);
          }
        }
        expect(seen).to.have.length(attempts.length * 2); // each one reached the handler (none was refused by the HTTP parser)
        expect(seen.filter((e) => e.status !== 404)).to.deep.equal([]);
        expect(seen.reduce((sum, e) => sum + e.bytes, 0)).to.equal(0);
      } finally {
        await s.close();
      }
    });

    it('composes with other routes: the handler answers its prefix only, and refuses .. out of the prefix', async () => {
      const handler = storeRequestHandler(root, { prefix: '/data/' });
      const server = createServer((req, res) => {
        if (!handler(req, res)) res.writeHead(418, { 'content-length': 0 }).end();
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      try {
        expect((await get(base, '/data/a.parquet')).body.toString()).to.equal('PAR1 a PAR1');
        expect((await get(base, '/other')).status).to.equal(418);
        expect((await get(base, '/a.parquet')).status).to.equal(418);
        expect((await get(base, '/data/../secret.txt')).status).to.equal(404);
        expect((await get(base, '/data/%2e%2e/secret.txt')).status).to.equal(404);
      } finally {
        server.closeAllConnections();
        await new Promise((done) => server.close(done));
      }
    });
  });

  describe('CORS and required headers', () => {
    it("answers a preflight with 204 and what a page needs; every answer carries Allow-Origin and Expose-Headers (default '*')", async () => {
      const pre = await get(served.url, `/${part}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range, x-trace-id' },
      });
      expect(pre.status).to.equal(204);
      expect(pre.headers).to.include({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-max-age': '600',
      });
      expect(pre.headers['access-control-allow-headers']).to.equal('Range, Authorization, If-Range, If-Match, If-Unmodified-Since, Content-Type, x-trace-id');
      expect(pre.headers['access-control-allow-private-network']).to.equal(undefined);
      const pna = await get(served.url, `/${part}`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-private-network': 'true' } });
      expect(pna.headers['access-control-allow-private-network']).to.equal('true');
      const r = await get(served.url, `/${part}`, { headers: { origin: 'https://app.example.com', range: 'bytes=0-3' } });
      expect(r.status).to.equal(206);
      expect(r.headers).to.include({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified' });
      expect(r.headers.vary).to.equal(undefined);
      expect((await get(served.url, '/missing.parquet')).headers['access-control-allow-origin']).to.equal('*'); // a page can read the 404
    });

    it('one origin is sent with Vary: Origin; corsOrigin false sends no CORS header at all', async () => {
      const one = await serveStore(store, { corsOrigin: 'https://app.example.com' });
      const none = await serveStore(store, { corsOrigin: false });
      try {
        const r = await get(one.url, `/${part}`, { headers: { origin: 'https://app.example.com' } });
        expect(r.headers).to.include({ 'access-control-allow-origin': 'https://app.example.com', vary: 'Origin' });
        for (const method of ['GET', 'HEAD', 'OPTIONS']) {
          const n = await get(none.url, `/${part}`, { method, headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' } });
          expect(n.status, method).to.equal(method === 'OPTIONS' ? 204 : 200);
          expect(corsHeaders(n.headers), method).to.deep.equal([]);
        }
      } finally {
        await one.close();
        await none.close();
      }
    });

    it('a required header: 401 without it or with another value, 200/206 with it; preflights never need it', async () => {
      const s = await serveStore(store, { headers: { Authorization: 'Bearer s3cret', 'X-Api-Key': 'k1' } });
      const auth = { authorization: 'Bearer s3cret', 'x-api-key': 'k1' };
      try {
        const without: Record<string, string>[] = [{}, { authorization: 'Bearer s3cret' }, { ...auth, authorization: 'Bearer wrong' }];
        for (const headers of without) {
          const r = await get(s.url, `/${part}`, { headers });
          expect(r.status).to.equal(401);
          expect(r.headers['www-authenticate']).to.equal('Bearer');
          expect(r.headers['access-control-allow-origin']).to.equal('*');
          expect((await get(s.url, '/_metadata', { method: 'HEAD', headers })).status).to.equal(401);
        }
        expect((await get(s.url, '/nope.parquet')).status).to.equal(401); // no probing for names without the header
        expect((await get(s.url, `/${part}`, { headers: auth })).status).to.equal(200);
        expect((await get(s.url, `/${part}`, { headers: { ...auth, range: 'bytes=0-3' } })).status).to.equal(206);
        const pre = await get(s.url, `/${part}`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, x-api-key, range' } });
        expect(pre.status).to.equal(204);
        expect(pre.headers['access-control-allow-headers']).to.equal('Range, Authorization, If-Range, If-Match, If-Unmodified-Since, Content-Type, x-api-key');
        const reader = await makeBatchReader(s.url, { workers: 0, columns: ['x'], headers: auth });
        let rows = 0;
        for await (const b of reader) rows += b.numRows;
        expect(rows).to.equal(ROWS);
      } finally {
        await s.close();
      }
    });
  });

  describe('streaming and lifecycle', () => {
    it('a client going away mid-body leaves the server serving, and closes the file', async function () {
      const dir = join(tmp, 'big');
      mkdirSync(dir);
      const big = randomBytes(16 * 1024 * 1024);
      writeFileSync(join(dir, 'big.parquet'), big);
      const seen: StoreServerLogEntry[] = [];
      const s = await serveStore(dir, { log: (e) => seen.push(e) });
      const fds = () => (existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0);
      try {
        const before = fds();
        const u = new URL(s.url);
        for (let k = 0; k < 3; k++) {
          await new Promise<void>((done, fail) => {
            const req = request({ host: u.hostname, port: u.port, path: '/big.parquet', agent: false, headers: k === 1 ? { range: 'bytes=100-' } : {} }, (res) => {
              res.once('data', () => {
                req.destroy();
                done();
              });
            });
            req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : fail(err)));
            req.end();
          });
        }
        const after = await get(s.url, '/big.parquet', { headers: { range: 'bytes=-16' } });
        expect(after.status).to.equal(206);
        expect(after.body.equals(big.subarray(big.length - 16))).to.equal(true);
        // Every aborted answer was logged once, as aborted, with fewer bytes than the file.
        const deadline = Date.now() + 5_000;
        while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(seen.map((e) => e.aborted)).to.deep.equal([true, true, true, false]);
        expect(seen.slice(0, 3).every((e) => e.bytes < big.length)).to.equal(true);
        expect(seen[3]!.bytes).to.equal(16);
        if (before > 0) {
          // No descriptor left open by the aborted streams (Linux: /proc/self/fd).
          while (fds() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          expect(fds()).to.be.at.most(before);
        }
      } finally {
        await s.close();
      }
    });

    it('close() ends keep-alive connections and answers in flight, and can be called twice', async () => {
      const dir = join(tmp, 'in-flight');
      mkdirSync(dir);
      writeFileSync(join(dir, 'big.parquet'), randomBytes(8 * 1024 * 1024));
      writeFileSync(join(dir, 'small.parquet'), 'PAR1');
      const s = await serveStore(dir);
      const res = await fetch(`${s.url}small.parquet`, { headers: { range: 'bytes=0-3' } }); // undici keeps the connection alive
      expect(Buffer.from(await res.arrayBuffer()).toString()).to.equal('PAR1');
      // An answer in flight, its reader stalled after the first chunk.
      const u = new URL(s.url);
      const stalled = await new Promise<IncomingMessage>((done, fail) => {
        const req = request({ host: u.hostname, port: u.port, path: '/big.parquet', agent: false }, (r) => {
          r.once('data', () => {
            r.pause();
            done(r);
          });
          r.on('error', () => {}); // cut by close(): expected
        });
        req.on('error', fail);
        req.end();
      });
      const t = Date.now();
      await Promise.all([s.close(), s.close()]);
      expect(Date.now() - t).to.be.lessThan(1_000);
      expect(s.server.listening).to.equal(false);
      // The stalled answer was cut, not completed: reading on ends early.
      let received = 0;
      const closed = new Promise((done) => stalled.once('close', done));
      stalled.on('data', (c: Buffer) => (received += c.length)).resume();
      await closed;
      expect(stalled.complete).to.equal(false);
      expect(received).to.be.lessThan(8 * 1024 * 1024);
    });

    it('a root that is missing or a file is a StoreError naming it, before listening; a busy port a ConfigError naming host:port', async () => {
      const missing = join(tmp, 'no-such-store');
      for (const [root, pattern] of [
        [missing, /serveStore: store .*no-such-store does not exist; check the path, or create the store with materializeDataset\(\)/],
        [join(store, part), /serveStore: .*\.parquet is not a folder; serve the store's folder/],
      ] as const) {
        let err: unknown;
        await serveStore(root).catch((e: unknown) => (err = e));
        expect(err).to.be.instanceOf(StoreError);
        expect((err as Error).message).to.match(pattern);
        expect((err as StoreError).path).to.equal(root);
        expect(() => storeRequestHandler(root)).to.throw(StoreError);
      }
      const port = Number(new URL(served.url).port);
      let busy: unknown;
      await serveStore(store, { port }).catch((e: unknown) => (busy = e));
      expect(busy).to.be.instanceOf(ConfigError);
      expect((busy as Error).message).to.equal(`serveStore: 127.0.0.1:${port} is already in use by another process; choose another port, or port 0 for a free one`);
    });

    it('checks its options before any I/O', async () => {
      const bad: [Record<string, unknown>, RegExp][] = [
        [{ prefix: 'data/' }, /serveStore: prefix must be a URL path starting with '\/'/],
        [{ port: 70_000 }, /serveStore: port must be <= 65535; received 70000/],
        [{ corsOrigin: true }, /serveStore: corsOrigin/],
        [{ corsOrigin: 'https://a\r\nx: y' }, /serveStore: corsOrigin must be an origin/],
        [{ log: 'yes' }, /serveStore: log must be a function/],
        [{ cors: false }, /serveStore: unknown option "cors"/],
      ];
      for (const [options, pattern] of bad) {
        let err: unknown;
        await serveStore(join(tmp, 'no-such-store'), options).catch((e: unknown) => (err = e));
        expect(err, JSON.stringify(options)).to.be.instanceOf(ConfigError);
        expect((err as Error).message).to.match(pattern);
      }
      expect(() => storeRequestHandler(store, { headers: { 'bad name': 'x' } })).to.throw(ConfigError, /storeRequestHandler: headers/);
    });
  });
});
