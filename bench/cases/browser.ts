// The browser case: the sdk case's epoch, run by the SDK's browser build in headless Chromium (wasm backend,
// Web Workers), reading the store over HTTP from the server the bench started. Its peak RSS is the case
// runner's, not Chromium's: the RSS columns say nothing of this case.
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fetchMBps } from '../browser-page.js';
import { launchChromium } from '../chromium.js';
import type { CaseMeasure, CaseParams } from '../measure.js';
import { sdkOptions } from './windows.js';

const TYPES: Record<string, string> = { html: 'text/html', js: 'text/javascript', wasm: 'application/wasm', map: 'application/json' };

export default async function browser(p: CaseParams): Promise<CaseMeasure> {
  if (!p.storeUrl || !p.browserBundleDir) throw new Error('the browser case needs storeUrl and browserBundleDir (bench/run.ts sets them)');
  const bundle = resolve(p.browserBundleDir);
  const wasm = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  const page = '<!doctype html><meta charset="utf-8"><script type="module" src="bench-page.js"></script>';
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    const [dir, rel] = path.startsWith('/wasm/') ? [wasm, path.slice(6)] : [bundle, path.slice(1)];
    const file = resolve(dir, `.${sep}${rel}`);
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[file.split('.').pop()!] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const chromium = await launchChromium();
  try {
    const tab = await chromium.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    // A page whose decode workers cannot start decodes on its main thread: not the case this measures.
    tab.on('console', (m) => {
      if (/decode threads could not start/.test(m.text())) errors.push(m.text());
    });
    const files = readdirSync(p.storeDir).filter((f) => f.endsWith('.parquet')).sort().map((f): [string, number] => [f, statSync(resolve(p.storeDir, f)).size]);
    const params = { storeUrl: p.storeUrl, files, options: sdkOptions(p), warmupWindows: p.warmupBatches * p.batch, backend: p.backend ?? 'wasm' };
    await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/#${encodeURIComponent(JSON.stringify(params))}`);
    await tab.waitForFunction(() => (globalThis as { __tfplBench?: { state: string } }).__tfplBench?.state !== 'running', { timeout: 0, polling: 100 });
    const r = (await tab.evaluate(() => (globalThis as { __tfplBench?: unknown }).__tfplBench)) as { state: string; error?: string; windows: number; seconds: number; openSeconds: number; firstBatchSeconds: number; fetchMBps: number; backend: string };
    if (r.state !== 'done' || errors.length) throw new Error(`the bench page failed: ${r.error ?? ''}${errors.length ? `; page errors: ${errors.join('; ')}` : ''}`);
    // Node's fetch over the same files and ranges, from this (otherwise idle) process.
    const nodeFetchMBps = await fetchMBps(p.storeUrl, files);
    return {
      windows: r.windows,
      rows: r.windows + p.window,
      bytes: r.windows * p.window * p.features * 4,
      seconds: r.seconds,
      capped: false,
      extra: { openSeconds: r.openSeconds, firstBatchSeconds: r.firstBatchSeconds, pageFetchMBps: r.fetchMBps, nodeFetchMBps, pageBackend: r.backend },
    };
  } finally {
    await chromium.close();
    server.close();
  }
}

