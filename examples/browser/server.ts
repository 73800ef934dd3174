/**
 * The demo's server: the training page (/) and its bundle, a page using the SDK's bundle without a
 * bundler (/module.html, an import map), TensorFlow.js's files, and a store served the way `tfpl serve`
 * serves one (HTTP Range, CORS) at /store/, all on 127.0.0.1. The bundle is built from the sources at
 * start (esbuild, about a second), so the page always runs the code of this checkout.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleBrowser, bundleTfjsForPage } from '../../scripts/bundle-browser.js';
import { openStore, storeRequestHandler, type StoreServerOptions } from '../../src/index.js';
import { MarketSchema } from '../../src/forecasting/index.js';
import { backfill, storeRowSink, SyntheticMarketChart } from '../../src/ingest/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const HOUR = 3_600_000;

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8' };

/** The demo's data: `hours` hourly prices of each synthetic coin (NOT real prices) in one MarketSchema store. */
export async function writeDemoStore(dir: string, options: { coins?: string[]; hours?: number; rowGroupSize?: number; seed?: number } = {}): Promise<void> {
  const market = new SyntheticMarketChart({ seed: options.seed ?? 42 });
  const hours = options.hours ?? 4380;
  for (const coin of options.coins ?? ['bitcoin', 'ethereum', 'solana']) {
    const sink = await storeRowSink(dir, MarketSchema, { series: { coin, vs: 'usd' }, priceColumn: 'price', rowGroupSize: options.rowGroupSize ?? 1000 });
    await backfill({ client: market, sink, id: coin, vsCurrency: 'usd', from: market.start, to: market.start + (hours - 1) * HOUR, log: () => {} });
  }
}

export interface DemoServerOptions {
  /** The store to serve at /store/ (written by `writeDemoStore` when missing). */
  storeDir: string;
  /** Where the page bundle is built. */
  buildDir: string;
  port?: number;
  host?: string;
  /** Each request the store route answered (tests count the bytes of every column chunk). */
  log?: StoreServerOptions['log'];
}

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

function sendFile(res: ServerResponse, file: string): void {
  const size = statSync(file).size;
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-cache' });
  createReadStream(file).pipe(res);
}

/** The file under `dir` that `rel` names, or null when it would step outside or does not exist. */
function fileUnder(dir: string, rel: string): string | null {
  const file = resolve(dir, `.${sep}${rel}`);
  if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) return null;
  return file;
}

/** Builds the page and starts serving it; the URL printed is the page. */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  // A page cannot list a folder over HTTP: the store it reads must have its _metadata. The demo store is
  // written only where nothing is, never over a folder of the user's.
  if (!existsSync(options.storeDir)) await writeDemoStore(options.storeDir);
  else if (!existsSync(join(options.storeDir, '_metadata'))) {
    throw new Error(`${options.storeDir} has no _metadata, which a page needs to find the data files over HTTP; write it with \`tfpl metadata ${options.storeDir}\`, or pass a store written by this SDK`);
  }
  await openStore(options.storeDir); // a damaged store fails here, not in the page
  const app = resolve(options.buildDir, 'app');
  // The page, bundled with everything (as an application's bundler would), and the package's own browser
  // build for module.html (TensorFlow.js left to the page's import map, which names one ES module per
  // TensorFlow.js package, built here from node_modules), all from this checkout's sources.
  const sdk = resolve(options.buildDir, 'sdk');
  const tfjs = resolve(options.buildDir, 'vendor-tfjs');
  await Promise.all([
    bundleBrowser({ outdir: app, entries: { page: join(here, 'page.ts'), 'decode-worker': join(root, 'src/browser/decode-worker.ts') }, external: [], minify: true }),
    bundleBrowser({ outdir: sdk, minify: true }),
    bundleTfjsForPage(tfjs),
  ]);
  const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  const store = storeRequestHandler(options.storeDir, { prefix: '/store/', log: options.log });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (store(req, res)) return;
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file: string | null = null;
    if (path === '/' || path === '/index.html') file = join(here, 'index.html');
    else if (path === '/module.html') file = join(here, 'module.html');
    else if (path.startsWith('/app/')) file = fileUnder(app, path.slice('/app/'.length));
    else if (path.startsWith('/sdk/')) file = fileUnder(sdk, path.slice('/sdk/'.length));
    else if (path.startsWith('/vendor/tfjs/')) file = fileUnder(tfjs, path.slice('/vendor/tfjs/'.length));
    else if (path.startsWith('/vendor/tfjs-backend-wasm/') && path.endsWith('.wasm')) file = fileUnder(wasmDir, path.slice('/vendor/tfjs-backend-wasm/'.length));
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    sendFile(res, file);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, ok);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

