import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import type { Browser, Page } from 'puppeteer-core';
import * as tf from '@tensorflow/tfjs';
import { startDemoServer, writeDemoStore, type DemoServer } from '../../examples/browser/server.js';
import { evaluateForecaster, trainForecaster } from '../../src/forecasting/index.js';
import { initBackend, type MakeTfDatasetOptions, makeTfDataset } from '../../src/index.js';
import { launchChromium } from '../../bench/chromium.js';

interface Logged {
  method: string;
  path: string;
  range?: string;
  status: number;
  bytes: number;
}

/** Byte intervals [start, end) of a part file: its footer, and the column chunks of `needed` and of every other column. */
function layoutOf(file: string, needed: string[]): { footer: [number, number]; needed: [number, number][]; other: [number, number][] } {
  const bytes = readFileSync(file);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const meta = parquetMetadata(ab);
  const footerLength = bytes.readUInt32LE(bytes.length - 8);
  const out = { footer: [bytes.length - 8 - footerLength, bytes.length] as [number, number], needed: [] as [number, number][], other: [] as [number, number][] };
  for (const rg of meta.row_groups) {
    for (const c of rg.columns) {
      const m = c.meta_data!;
      const start = Number(m.dictionary_page_offset ?? m.data_page_offset);
      (needed.includes(m.path_in_schema[0]!) ? out.needed : out.other).push([start, start + Number(m.total_compressed_size)]);
    }
  }
  return out;
}

function partsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.parquet'))
    .map((f) => f.split(sep).join('/'));
}

async function demoState<T>(page: Page, name: string, timeout: number): Promise<T> {
  await page.waitForFunction((n: string) => (globalThis as unknown as Record<string, { state: string } | undefined>)[n]?.state !== 'running' && (globalThis as unknown as Record<string, unknown>)[n] !== undefined, { timeout, polling: 200 }, name);
  return page.evaluate((n: string) => (globalThis as unknown as Record<string, unknown>)[n], name) as Promise<T>;
}

interface DemoResult {
  state: string;
  error?: string;
  backend: string;
  bytesFetched: number;
  requests: number;
  storeBytes: number;
  check: { options: MakeTfDatasetOptions; windows: Record<'train' | 'validation' | 'test', number>; firstBatch: { shape: number[]; xs: number[]; ys: number[] } };
  read: { windows: number; windowsPerSecond: number };
  training: { windowsPerSecond: number; loss: number[] };
  metrics: Record<'lstm' | 'persistence' | 'movingAverage', { mae: number; rmse: number }>;
  series: { ids: string[]; testWindows: number; metrics: Record<'lstm' | 'persistence' | 'movingAverage', { mae: number; rmse: number }> }[];
}

/**
 * An S3 endpoint a page may call: forwards to `target` and adds the CORS answers a bucket's CORS rules would
 * give (AWS S3, MinIO and R2 are configured the same way: allow the origin, the signing headers, and expose
 * ETag and Content-Range).
 */
async function corsProxy(target: string): Promise<{ url: string; seen: { method: string; range?: string; authorization?: string }[]; close(): Promise<void> }> {
  const { createServer, request } = await import('node:http');
  const seen: { method: string; range?: string; authorization?: string }[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', range: req.headers.range, authorization: req.headers.authorization });
    const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'ETag, Content-Range, Content-Length, Last-Modified' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, HEAD, PUT, POST, DELETE', 'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? ''), 'access-control-max-age': '600' }).end();
      return;
    }
    // The signature covers the Host header: forward it as the page signed it.
    const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, { ...r.headers, ...cors });
      r.on('error', () => res.destroy());
      r.pipe(res);
    });
    // A page that cancels a read (a reader stopped early) closes its connection: the forwarded request then
    // ends with "socket hang up" (Node 24 says so; 20 did not), which must not become an uncaught error.
    up.on('error', () => res.destroy());
    req.on('error', () => up.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function firstBatchOf(ds: tf.data.Dataset<tf.TensorContainer>): Promise<{ shape: number[]; xs: number[]; ys: number[] }> {
  const it = await ds.iterator();
  const { value } = (await it.next()) as { value: { xs: tf.Tensor; ys: tf.Tensor } };
  const out = { shape: value.xs.shape, xs: Array.from(value.xs.dataSync()), ys: Array.from(value.ys.dataSync()) };
  tf.dispose([value.xs, value.ys]);
  return out;
}

describe('the browser build in headless Chromium: a page trains from a store over HTTP', function () {
  this.timeout(240_000);
  let dir = '';
  const tmp = () => dir;
  let browser: Browser;
  let server: DemoServer;
  let storeDir: string;
  const logged: Logged[] = [];
  const pageErrors: string[] = [];
  const workersStarted: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tfpl-browser-'));
    storeDir = join(tmp(), 'store');
    // Two synthetic coins, 1,500 hours each, in row groups of 300 rows: several column chunks per column.
    await writeDemoStore(storeDir, { coins: ['bitcoin', 'ethereum'], hours: 1500, rowGroupSize: 300 });
    [server, browser] = await Promise.all([startDemoServer({ storeDir, buildDir: join(tmp(), 'build'), log: (e) => logged.push(e as Logged) }), launchChromium()]);
    await initBackend('wasm');
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(path: string, errors = pageErrors): Promise<Page> {
    const page = await browser.newPage();
    page.on('workercreated', (w) => workersStarted.push(w.url()));
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (m) => {
      // Errors, and the warning a page gets when its decode threads cannot start (it then decodes inline).
      if (m.type() === 'error' || /decode threads could not start/.test(m.text())) errors.push(m.text());
    });
    await page.goto(new URL(path, server.url).href);
    return page;
  }

  it('trains an LSTM in the page: no page errors, the windows and first batch equal Node\'s, persistence MAE equals Node\'s, and only the needed column chunks are fetched', async () => {
    const page = await open('/?backend=wasm&epochs=1&units=8&window=24&batch=32&workers=1');
    const demo = await demoState<DemoResult>(page, '__tfplDemo', 200_000);
    const byPage = logged.filter((e) => e.path.startsWith('/store/'));
    const shot = join(tmpdir(), 'tfpl-browser-demo.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`      screenshot: ${shot}; backend ${demo.backend}; reading ${Math.round(demo.read?.windowsPerSecond ?? 0)} windows/s, training ${Math.round(demo.training?.windowsPerSecond ?? 0)} windows/s; ${demo.bytesFetched} of ${demo.storeBytes} bytes in ${demo.requests} requests`);
    expect(demo.error ?? null).to.equal(null);
    expect(demo.state).to.equal('done');
    expect(pageErrors).to.deep.equal([]);
    expect(demo.backend).to.equal('wasm');
    // The row groups were decoded in Web Workers (started by each reader, closed with it; no fallback warning).
    expect(workersStarted.length).to.be.greaterThan(0);
    expect(workersStarted.every((u) => u === new URL('app/decode-worker.js', server.url).href), workersStarted.join(', ')).to.equal(true);

    // The same store and options in Node: the same windows, the same first batch, value for value.
    const storeUrl = `${server.url}store/`;
    const train = await makeTfDataset(storeUrl, demo.check.options);
    expect(demo.check.windows.train).to.equal(train.windowsPerEpoch).and.be.greaterThan(1000);
    const { normalize: _, ...scaled } = demo.check.options;
    for (const subset of ['validation', 'test'] as const) {
      expect(demo.check.windows[subset], subset).to.equal((await makeTfDataset(storeUrl, { ...scaled, subset, normalization: train.normalization })).windowsPerEpoch);
    }
    const node = await firstBatchOf(train as unknown as tf.data.Dataset<tf.TensorContainer>);
    expect(demo.check.firstBatch.shape).to.deep.equal([32, 24, 1]);
    expect(demo.check.firstBatch).to.deep.equal(node);

    // Scored on the same test windows: persistence does not depend on the model, so its MAE is Node's exactly.
    const trained = await trainForecaster(storeUrl, { priceColumn: 'price', seriesColumns: ['coin', 'vs'], windowSize: 24, batchSize: 32, epochs: 1, units: 8, seed: 42, workers: 1 });
    const ev = await evaluateForecaster(trained, storeUrl);
    trained.model.dispose();
    expect(demo.metrics.persistence.mae).to.equal(ev.metrics.persistence.mae);
    expect(demo.series.map((s) => [s.ids.join('/'), s.testWindows, s.metrics.persistence.mae])).to.deep.equal(ev.series.map((s) => [s.ids.join('/'), s.actual.length, s.metrics.persistence.mae]));
    for (const f of ['lstm', 'persistence', 'movingAverage'] as const) expect(Number.isFinite(demo.metrics[f].mae) && demo.metrics[f].mae > 0, f).to.equal(true);
    expect(demo.training.loss.every(Number.isFinite)).to.equal(true);

    // Bytes: every ranged GET of a part file lies inside its footer or inside the chunks of the columns the
    // page reads (coin, vs, timestamp, price); no byte of market_cap, price_change_24h or total_volume moves.
    // Chromium's HTTP cache answers repeated ranges after a revalidation (304, no body): what the server sent
    // is each needed byte once, what the page counts (bytes handed to the SDK) is every pass's.
    const partBytes: Record<string, ReturnType<typeof layoutOf>> = Object.fromEntries(partsUnder(storeDir).map((p) => [p, layoutOf(join(storeDir, p), ['coin', 'vs', 'timestamp', 'price'])]));
    const sent: Record<string, [number, number][]> = {};
    for (const e of byPage) {
      const rel = decodeURIComponent(e.path.slice('/store/'.length));
      if (e.method !== 'GET') continue;
      const layout = partBytes[rel];
      if (!layout) {
        expect(['_metadata', '_common_metadata'], `${e.path}`).to.include(rel);
        continue;
      }
      const m = /^bytes=(\d+)-(\d+)$/.exec(e.range ?? '');
      expect(m, `${e.method} ${e.path} ${e.range}`).to.not.equal(null);
      const [start, end] = [Number(m![1]), Number(m![2]) + 1];
      const overlaps = (iv: [number, number]) => start < iv[1] && iv[0] < end;
      expect(layout.other.filter(overlaps), `${e.path} ${e.range} reads a column the page does not use`).to.deep.equal([]);
      const inFooter = start >= layout.footer[0] && end <= layout.footer[1];
      const inChunks = layout.needed.filter(overlaps).reduce((n, iv) => n + Math.min(end, iv[1]) - Math.max(start, iv[0]), 0) === end - start;
      expect(inFooter || inChunks, `${e.path} ${e.range}`).to.equal(true);
      expect([206, 304], `${e.path} ${e.range}`).to.include(e.status);
      if (!inFooter && e.status === 206) (sent[rel] ??= []).push([start, end]);
    }
    // The chunk bytes that went over the wire are exactly the needed chunks, every one of them.
    const union = (ivs: [number, number][]) => {
      const out: [number, number][] = [];
      for (const iv of [...ivs].sort((a, b) => a[0] - b[0])) {
        const last = out[out.length - 1];
        if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
        else out.push([...iv]);
      }
      return out;
    };
    for (const [rel, layout] of Object.entries(partBytes)) expect(union(sent[rel] ?? []), rel).to.deep.equal(union(layout.needed));
    const needed = Object.values(partBytes).reduce((n, l) => n + l.needed.reduce((s, iv) => s + iv[1] - iv[0], 0), 0);
    const other = Object.values(partBytes).reduce((n, l) => n + l.other.reduce((s, iv) => s + iv[1] - iv[0], 0), 0);
    expect(other).to.be.greaterThan(needed); // the page skipped most of the store's bytes
    expect(demo.bytesFetched).to.be.at.least(byPage.reduce((n, e) => n + e.bytes, 0));
    console.log(`      the server sent ${byPage.reduce((n, e) => n + e.bytes, 0)} bytes in ${byPage.length} requests (needed column chunks ${needed} bytes, other columns ${other} bytes never sent); the page read ${demo.bytesFetched} bytes over every pass`);
    await page.close();
  });

  it('runs from <script type="module"> without a bundler: the package bundle and an import map give Node\'s windows and first batch', async () => {
    const page = await open('/module.html');
    const mod = await demoState<{ state: string; error?: string; backend: string; options: MakeTfDatasetOptions; windows: number; firstBatch: { shape: number[]; xs: number[]; ys: number[] } }>(page, '__tfplModule', 60_000);
    expect(mod.error ?? null).to.equal(null);
    expect(mod.backend).to.equal('cpu');
    const node = await makeTfDataset(`${server.url}store/`, mod.options);
    expect(mod.windows).to.equal(node.windowsPerEpoch);
    expect(mod.firstBatch).to.deep.equal(await firstBatchOf(node as unknown as tf.data.Dataset<tf.TensorContainer>));
    // The page decodes zstd with the same WebAssembly build of facebook/zstd as Node, not the portable fallback.
    const zstd = await page.evaluate(async () => (await import(new URL('sdk/index.js', document.baseURI).href)).zstdDecoder());
    expect(zstd).to.deep.equal({ name: '@foxglove/wasm-zstd', kind: 'wasm' });
    expect(pageErrors).to.deep.equal([]);
    await page.close();
  });

  it('reads an s3:// store in the page with explicit credentials (SigV4 by WebCrypto), through a CORS-enabled endpoint: Node\'s windows and first batch', async () => {
    const { startS3rver, S3RVER_KEY } = await import('../s3-server.js');
    const { s3Location } = await import('../../src/store/s3/s3-location.js');
    const s3 = await startS3rver({ buckets: ['data'] });
    const cors = await corsProxy(s3.endpoint);
    const page = await open('/module.html', []);
    try {
      await demoState(page, '__tfplModule', 60_000);
      const io = { s3: { endpoint: s3.endpoint, credentials: S3RVER_KEY } };
      const upload = s3Location('s3://data/demo', io);
      for (const rel of [...partsUnder(storeDir), '_metadata', '_common_metadata']) await upload.putFile(rel, readFileSync(join(storeDir, ...rel.split('/'))));
      const options: MakeTfDatasetOptions = { features: ['price'], targets: ['price'], windowSize: 24, logReturns: ['price'], timestampColumn: 'timestamp', seriesColumns: ['coin', 'vs'], batchSize: 32, normalize: 'zscore' };
      const got = await page.evaluate(
        async (o: Record<string, unknown>, endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }) => {
          const sdk = await import(new URL('sdk/index.js', document.baseURI).href);
          const tfm = await import('@tensorflow/tfjs-core');
          try {
            const ds = await sdk.makeTfDataset('s3://data/demo', { ...o, s3: { endpoint, credentials } });
            const it = await ds.iterator();
            const { value } = await it.next();
            const out = { ok: true as const, windows: ds.windowsPerEpoch as number, firstBatch: { shape: value.xs.shape as number[], xs: Array.from(value.xs.dataSync() as Float32Array), ys: Array.from(value.ys.dataSync() as Float32Array) } };
            tfm.dispose([value.xs, value.ys]);
            return out;
          } catch (err) {
            return { ok: false as const, name: (err as Error).name, message: (err as Error).message };
          }
        },
        options as Record<string, unknown>,
        cors.url,
        S3RVER_KEY,
      );
      const node = await makeTfDataset(storeDir, options);
      expect(got).to.deep.equal({ ok: true, windows: node.windowsPerEpoch, firstBatch: await firstBatchOf(node as unknown as tf.data.Dataset<tf.TensorContainer>) });
      // The page's requests were signed, and it read ranges, not whole objects.
      expect(cors.seen.length).to.be.greaterThan(0);
      expect(cors.seen.filter((r) => r.method !== 'OPTIONS').every((r) => /^AWS4-HMAC-SHA256 Credential=S3RVER\//.test(r.authorization ?? ''))).to.equal(true);
      expect(cors.seen.filter((r) => r.method === 'GET').every((r) => r.range !== undefined)).to.equal(true);
    } finally {
      await page.close();
      await cors.close();
      await s3.close();
    }
  });

  it('reads a 600,000-row row group written by DuckDB in slices, its zstd pages larger than the bound streamed in Web Workers that ask the page for bytes: the values Node reads', async () => {
    const page = await open('/module.html', []);
    await demoState(page, '__tfplModule', 60_000);
    const { duck, lit } = await import('../duckdb.js');
    const { startStaticServer } = await import('../static-server.js');
    const bigDir = mkdtempSync(join(tmpdir(), 'tfpl-big-'));
    await duck(`COPY (SELECT (TIMESTAMP '2024-01-01' + to_seconds(i)) AS ts, sin(i / 100.0)::FLOAT AS a, (i % 1000)::DOUBLE AS b FROM range(600000) t(i)) TO ${lit(join(bigDir, 'one.parquet'))} (FORMAT PARQUET, ROW_GROUP_SIZE 600000, COMPRESSION zstd)`);
    const big = await startStaticServer(bigDir, true, { cors: true });
    try {
      // A bound of 1 MiB: pages of several MB are streamed, slices of 131,072 rows.
      const options = { maxBatchBytes: 2 ** 20, batchSize: 100_000, workers: 2 };
      const sums = async (batches: AsyncIterable<{ numRows: number; columns: Record<string, ArrayLike<number>> }>) => {
        const out = { rows: 0, ts: 0, a: 0, b: 0 };
        for await (const batch of batches) {
          out.rows += batch.numRows;
          for (const c of ['ts', 'a', 'b'] as const) for (let i = 0; i < batch.numRows; i++) out[c] += batch.columns[c]![i]!;
        }
        return out;
      };
      const url = `${big.url}/one.parquet`;
      const inPage = await page.evaluate(
        async (u: string, o: Record<string, unknown>) => {
          const sdk = await import(new URL('sdk/index.js', document.baseURI).href);
          const out = { rows: 0, ts: 0, a: 0, b: 0 };
          for await (const batch of await sdk.makeBatchReader(u, o)) {
            out.rows += batch.numRows;
            for (const c of ['ts', 'a', 'b'] as const) for (let i = 0; i < batch.numRows; i++) out[c] += batch.columns[c][i];
          }
          return out;
        },
        url,
        options,
      );
      const { makeBatchReader } = await import('../../src/index.js');
      expect(inPage).to.deep.equal(await sums(await makeBatchReader(url, { ...options, workers: 0 }) as never));
      expect(inPage.rows).to.equal(600_000);
      // Only ranges of the file were asked for, never the whole of it.
      expect(big.log.requests.filter((r) => r.method === 'GET').every((r) => r.range !== undefined)).to.equal(true);
    } finally {
      await big.close();
      rmSync(bigDir, { recursive: true, force: true });
      await page.close();
    }
  });

  it('bad stores fail in the page as in Node: CORS refusal names the header, an unreachable store its URL, a server ignoring Range the fallback, a hostile page header its size, a stalled one the timeout', async () => {
    const page = await open('/module.html', []);
    await demoState(page, '__tfplModule', 60_000);
    /** openStore (and one batch) in the page; the error's class name and message, or the windows read. */
    const inPage = (url: string, options: Record<string, unknown> = {}) =>
      page.evaluate(
        async (u: string, o: Record<string, unknown>) => {
          const sdk = await import(new URL('sdk/index.js', document.baseURI).href);
          try {
            const ds = await sdk.makeTfDataset(u, { ...o, features: ['price'], targets: ['price'], windowSize: 24, seriesColumns: ['coin', 'vs'], batchSize: 32 });
            return { ok: true as const, windows: ds.windowsPerEpoch as number };
          } catch (err) {
            return { ok: false as const, name: (err as Error).name, message: (err as Error).message };
          }
        },
        url,
        options,
      );
    const { serveStore } = await import('../../src/index.js');
    const { startStaticServer } = await import('../static-server.js');
    const noCors = await serveStore(storeDir, { corsOrigin: false });
    const noRange = await startStaticServer(storeDir, false, { cors: true });
    const stalled = await startStaticServer(storeDir, true, { cors: true, stallAfter: { requests: 0 } });
    const gone = await serveStore(storeDir, {});
    await gone.close();
    const fast = { retry: { attempts: 2, baseDelayMs: 1 } };
    try {
      const cors = await inPage(noCors.url, fast);
      expect(cors).to.include({ ok: false, name: 'ParquetReadError' });
      expect((cors as { message: string }).message).to.match(/refused by the browser \(CORS\): the server at http:\/\/127\.0\.0\.1:\d+ answered, but not to pages of http:\/\/127\.0\.0\.1:\d+\. It must send Access-Control-Allow-Origin: http:\/\/127\.0\.0\.1:\d+ \(or \*\)/);

      const unreachable = await inPage(gone.url, fast);
      expect(unreachable).to.include({ ok: false, name: 'ParquetReadError' });
      expect((unreachable as { message: string }).message).to.include(`could not reach ${gone.url}_metadata`);

      const ranges = await inPage(`${noRange.url}/`);
      expect(ranges).to.include({ ok: false, name: 'ParquetReadError' });
      expect((ranges as { message: string }).message).to.match(/does not support HTTP Range requests.*rangeFallback: 'download'/);
      const downloaded = await inPage(`${noRange.url}/`, { rangeFallback: 'download' });
      const nodeWindows = (await makeTfDataset(`${server.url}store/`, { features: ['price'], targets: ['price'], windowSize: 24, seriesColumns: ['coin', 'vs'], batchSize: 32 })).windowsPerEpoch;
      expect(downloaded).to.deep.equal({ ok: true, windows: nodeWindows });

      // A hostile page header (2 GiB uncompressed) is refused in the page as in Node, before it is allocated.
      const hostileDir = mkdtempSync(join(tmpdir(), 'tfpl-hostile-'));
      const { craftedParquet } = await import('../readers/crafted-parquet.js');
      writeFileSync(join(hostileDir, 'huge-page.parquet'), craftedParquet({ rows: 10, codec: 1, pages: [{ kind: 'data', values: 10, uncompressed: 2 ** 31 - 1, body: new Uint8Array(40) }] }));
      const hostile = await startStaticServer(hostileDir, true, { cors: true });
      try {
        const refused = await page.evaluate(async (u: string) => {
          const sdk = await import(new URL('sdk/index.js', document.baseURI).href);
          try {
            for await (const _ of await sdk.makeBatchReader(u, { verifyChecksums: false })) void _;
            return { ok: true };
          } catch (err) {
            const e = err as { name: string; reason: string; page: number; column: string };
            return { ok: false, name: e.name, reason: e.reason, page: e.page, column: e.column };
          }
        }, `${hostile.url}/huge-page.parquet`);
        expect(refused).to.deep.equal({
          ok: false,
          name: 'ParquetReadError',
          column: 'x',
          page: 0,
          reason: 'its data page declares 2147483647 bytes uncompressed and 10 values (80 bytes decoded), more than maxBatchBytes (16777216) lets one page take in memory; raise maxBatchBytes to at least 2147483647 to read it, or rewrite the file with smaller pages',
        });
      } finally {
        await hostile.close();
        rmSync(hostileDir, { recursive: true, force: true });
      }

      const timedOut = await inPage(`${stalled.url}/`, { fetchTimeoutMs: 500, retry: { attempts: 2, baseDelayMs: 1 } });
      expect(timedOut).to.include({ ok: false, name: 'ParquetReadError' });
      expect((timedOut as { message: string }).message).to.match(/HTTP HEAD got no answer within 500 ms \(fetchTimeoutMs\); gave up after 2 attempts/);
      // Each attempt reached the server, and no more than the two allowed.
      expect(stalled.log.requests.filter((r) => r.method === 'HEAD').length).to.equal(2);
    } finally {
      await Promise.all([noCors.close(), noRange.close(), stalled.close()]);
      await page.close();
    }
  });
});
