import { createHash, timingSafeEqual } from 'node:crypto';
import { constants, statSync } from 'node:fs';
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream';
import { z } from 'zod';
import { ConfigError, StoreError } from '../errors.js';
import { parseOptions } from '../options.js';

/** One answered request, as given to the `log` option. */
export interface StoreServerLogEntry {
  method: string;
  /** The URL path as requested (percent-encoded, without the query string). */
  path: string;
  /** The `Range` request header, if any. */
  range: string | undefined;
  status: number;
  /** Body bytes written to the response (0 for HEAD, 304, 401, 404, 416...). */
  bytes: number;
  /** True when the connection closed before the whole answer was sent (the client went away). */
  aborted: boolean;
}

const DEFAULT_ALLOW_HEADERS = ['Range', 'Authorization', 'If-Range', 'If-Match', 'If-Unmodified-Since', 'Content-Type'];
const EXPOSE_HEADERS = 'Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified';
const METHODS = 'GET, HEAD, OPTIONS';

export const storeServerOptionsShape = {
  /** URL path the store is served under; requests outside it are not answered (the handler returns false). Default '/'. */
  prefix: z
    .string()
    .regex(/^\/[^?#\s\\]*$/, { error: "must be a URL path starting with '/' (no '?', '#', spaces or backslashes)" })
    .default('/'),
  /**
   * `Access-Control-Allow-Origin` of every answer, so pages on other origins can read the store: `'*'`
   * (default) or one origin (`'https://app.example.com'`, then with `Vary: Origin`); `false` sends no CORS
   * headers at all.
   */
  corsOrigin: z
    .union([z.string().regex(/^[\x21-\x7e]+$/, { error: 'must be an origin such as "https://app.example.com", "*" or false' }), z.literal(false)])
    .default('*'),
  /**
   * Request headers every GET and HEAD must carry with exactly these values (names case-insensitive), e.g.
   * `{ authorization: 'Bearer …' }`; a request without them is answered 401. CORS preflights never need them.
   * Default: none.
   */
  headers: z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/), z.string(), { error: 'must be an object of header names to string values' }).optional(),
  /** Called once per answered request, when its answer is complete or the client went away. Default: none. */
  log: z.custom<(entry: StoreServerLogEntry) => void>((v) => typeof v === 'function', { error: 'must be a function' }).optional(),
};
const storeServerOptionsSchema = z.strictObject(storeServerOptionsShape);

/** Options of `storeRequestHandler`; see `storeServerOptionsShape` for every field and default. */
export type StoreServerOptions = z.input<typeof storeServerOptionsSchema>;
type ParsedStoreServerOptions = z.output<typeof storeServerOptionsSchema>;

const serveStoreOptionsSchema = z.strictObject({
  ...storeServerOptionsShape,
  /** Port to listen on. Default 0: a free port chosen by the system (read it from the returned `url`). */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Address to listen on. Default '127.0.0.1' (this machine only); '0.0.0.0' or '::' for every interface. */
  host: z.string().min(1).default('127.0.0.1'),
});

/** Options of `serveStore`: the handler's options plus `port` and `host`. */
export type ServeStoreOptions = z.input<typeof serveStoreOptionsSchema>;

/** A running store server (`serveStore`). */
export interface StoreServer {
  /** The store's URL, e.g. 'http://127.0.0.1:8080/' (with the prefix): pass it to `makeTfDataset` or `openStore`. */
  url: string;
  server: Server;
  /** Stops listening and ends every connection, keep-alive ones and answers in flight included. */
  close(): Promise<void>;
}

/** Throws a `StoreError` unless `root` is an existing folder. */
function checkRoot(fn: string, root: string): string {
  let st;
  try {
    st = statSync(root);
  } catch (err) {
    throw new StoreError(`${fn}: store ${root} does not exist; check the path, or create the store with materializeDataset() or \`tfpl materialize\``, root, { cause: err });
  }
  if (!st.isDirectory()) {
    throw new StoreError(`${fn}: ${root} is not a folder; serve the store's folder (the one holding _metadata and the part files), not a file in it`, root);
  }
  return resolve(root);
}

/**
 * The store-relative path segments of a percent-encoded URL path, or null when the path is not a plain
 * file path inside the store: `..` and `.` (also encoded), empty segments, backslashes, NUL, an encoded
 * `/`, malformed escapes, or a name starting with `.` (hidden, lock and in-progress files).
 */
function segmentsOf(rawRest: string): string[] | null {
  if (rawRest === '' || rawRest.includes('\\')) return null;
  const out: string[] = [];
  for (const raw of rawRest.split('/')) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === '' || s.startsWith('.') || /[/\\\0]/.test(s)) return null;
    out.push(s);
  }
  return out;
}

type RangeAnswer = { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * The answer to a `Range` header for a file of `size` bytes (RFC 9110 §14): one `bytes=a-b`, `a-` or `-n`
 * range is a part (206) or unsatisfiable (416); anything else, a multi-range request included, is answered
 * with the whole file (200), which the RFC allows.
 */
function rangeOf(header: string, size: number): RangeAnswer {
  const m = /^bytes=(.*)$/i.exec(header.trim());
  if (!m) return { kind: 'whole' };
  const specs = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length !== 1) return { kind: 'whole' };
  const r = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (!r || (r[1] === '' && r[2] === '')) return { kind: 'whole' };
  const [, first, last] = r as unknown as [string, string, string];
  if (first === '') {
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return { kind: 'whole' }; // invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Compares a request header value with a required one in time independent of where they differ. */
function sameSecret(got: string | string[] | undefined, want: string): boolean {
  if (typeof got !== 'string') return false;
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(got), h(want));
}

/** Whether an `If-None-Match` list names `etag` (weak comparison). */
function noneMatch(header: string, etag: string): boolean {
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

/** Whether an `If-Match` list names `etag` (strong comparison: a weak validator never matches). */
function anyMatch(header: string, etag: string): boolean {
  return header.split(',').some((t) => t.trim() === '*' || t.trim() === etag);
}

/** Whether an `If-Range` validator still names this file: a strong ETag, or exactly its Last-Modified date. */
function ifRangeHolds(header: string, etag: string, mtimeMs: number): boolean {
  const v = header.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag;
  const t = Date.parse(v);
  return Number.isFinite(t) && t === Math.floor(mtimeMs / 1000) * 1000;
}

const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'EACCES', 'EPERM', 'EISDIR']);

/**
 * A Node HTTP request handler that serves the store folder `root` read-only, for browser pages and remote
 * readers (`makeTfDataset('http://…/')`): its part files (also in Hive `key=value` folders) and its
 * `_metadata`/`_common_metadata`, with single `Range` requests (206/416; a multi-range request gets the whole
 * file, 200), `HEAD`, `ETag`/`Last-Modified` (`If-Match` and `If-Unmodified-Since` answered 412 when the file changed, `If-Range`, `If-None-Match`), `Cache-Control: no-cache` (summary
 * files change at every commit) and CORS (preflights answered 204). Bodies are streamed from the file.
 * Anything but a regular file inside `root` is 404: folders, `..` in any spelling, backslashes, NUL, names
 * starting with `.`, and symlinks that lead outside `root`. Returns true when it answered the request, false
 * when the path is outside `prefix` (so it composes with other routes). Throws a `StoreError` when `root` is
 * not an existing folder.
 *
 * @example
 * const store = storeRequestHandler('./btc-store', { prefix: '/data/', headers: { authorization: 'Bearer s3cret' } });
 * http.createServer((req, res) => { if (!store(req, res)) demoPage(req, res); }).listen(8080);
 * // in the page: makeTfDataset('http://localhost:8080/data/', { headers: { authorization: 'Bearer s3cret' }, ... })
 */
export function storeRequestHandler(root: string, options: StoreServerOptions = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const o = parseOptions('storeRequestHandler', storeServerOptionsSchema, options);
  return handlerFor(checkRoot('storeRequestHandler', root), o);
}

function handlerFor(root: string, o: ParsedStoreServerOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const prefix = o.prefix.endsWith('/') ? o.prefix : `${o.prefix}/`;
  const required = Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
  const allowHeaders = [...DEFAULT_ALLOW_HEADERS];
  for (const [name] of required) if (!allowHeaders.some((h) => h.toLowerCase() === name)) allowHeaders.push(name);
  const auth = required.find(([name]) => name === 'authorization');
  const challenge = auth ? (/^[A-Za-z][\w.+-]*/.exec(auth[1])?.[0] ?? 'Bearer') : undefined;

  return (req, res) => {
    const url = req.url ?? '';
    const q = url.search(/[?#]/);
    const rawPath = q < 0 ? url : url.slice(0, q);
    let rest: string;
    if (rawPath.startsWith(prefix)) rest = rawPath.slice(prefix.length);
    else if (prefix !== '/' && rawPath === prefix.slice(0, -1)) rest = '';
    else return false;

    const entry: StoreServerLogEntry = { method: req.method ?? '', path: rawPath, range: req.headers.range, status: 0, bytes: 0, aborted: false };
    req.on('error', () => {}); // a client that goes away mid-request is not the server's error
    res.once('close', () => {
      entry.status = res.statusCode;
      entry.aborted = !res.writableFinished;
      o.log?.(entry);
    });
    answer(req, res, rest, entry).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-length': 0 }).end();
      else res.destroy(err as Error);
    });
    return true;
  };

  async function answer(req: IncomingMessage, res: ServerResponse, rest: string, entry: StoreServerLogEntry): Promise<void> {
    if (o.corsOrigin !== false) {
      res.setHeader('access-control-allow-origin', o.corsOrigin);
      res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
      if (o.corsOrigin !== '*') res.setHeader('vary', 'Origin');
    }
    const empty = (status: number, headers: Record<string, string | number> = {}) => {
      res.writeHead(status, { ...headers, 'content-length': 0 }).end();
    };
    const method = req.method ?? '';
    if (method === 'OPTIONS') {
      const headers: Record<string, string | number> = { allow: METHODS };
      if (o.corsOrigin !== false) {
        const asked = String(req.headers['access-control-request-headers'] ?? '')
          .split(',')
          .map((h) => h.trim())
          .filter((h) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h) && !allowHeaders.some((a) => a.toLowerCase() === h.toLowerCase()));
        headers['access-control-allow-methods'] = METHODS;
        headers['access-control-allow-headers'] = [...allowHeaders, ...asked].join(', ');
        headers['access-control-max-age'] = 600;
        // Chrome's Private Network Access: a public page reading a server on this machine or the LAN.
        if (req.headers['access-control-request-private-network'] === 'true') headers['access-control-allow-private-network'] = 'true';
      }
      res.writeHead(204, headers).end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') return empty(405, { allow: METHODS });
    if (required.some(([name, value]) => !sameSecret(req.headers[name], value))) return empty(401, challenge ? { 'www-authenticate': challenge } : {});

    const segments = segmentsOf(rest);
    if (!segments) return empty(404);
    let handle: FileHandle | undefined;
    try {
      let real: string;
      try {
        const realRoot = await realpath(root);
        real = await realpath(join(root, ...segments));
        if (!real.startsWith(realRoot + sep) || !(await stat(real)).isFile()) return empty(404);
        // Non-blocking, so a FIFO swapped in after the check cannot hang the open; reads stay ordinary.
        handle = await open(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
      } catch (err) {
        if (NOT_FOUND_CODES.has((err as NodeJS.ErrnoException).code ?? '')) return empty(404);
        throw err;
      }
      // Size, dates and bytes all from the opened file: a summary file replaced by rename meanwhile is
      // served whole as it was, never half old, half new.
      const st = await handle.stat({ bigint: true });
      if (!st.isFile()) return empty(404);
      const size = Number(st.size);
      const mtimeMs = Number(st.mtimeMs);
      const etag = `"${st.ino.toString(36)}-${st.size.toString(36)}-${st.mtimeNs.toString(36)}"`;
      const lastModified = new Date(mtimeMs).toUTCString();
      const headers: Record<string, string | number> = {
        'accept-ranges': 'bytes',
        'content-type': real.endsWith('.parquet') ? 'application/vnd.apache.parquet' : 'application/octet-stream',
        'last-modified': lastModified,
        etag,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      };
      // A reader that pinned the file's version is told it changed, instead of being sent other bytes.
      const im = req.headers['if-match'];
      const ius = req.headers['if-unmodified-since'];
      if ((im !== undefined && !anyMatch(im, etag)) || (im === undefined && ius !== undefined && Math.floor(mtimeMs / 1000) * 1000 > Date.parse(ius))) {
        return empty(412, { etag, 'last-modified': lastModified });
      }
      const inm = req.headers['if-none-match'];
      if (inm !== undefined && noneMatch(inm, etag)) {
        res.writeHead(304, headers).end();
        return;
      }
      let range: RangeAnswer = { kind: 'whole' };
      const ifRange = req.headers['if-range'];
      if (method === 'GET' && req.headers.range !== undefined && (ifRange === undefined || ifRangeHolds(String(ifRange), etag, mtimeMs))) {
        range = rangeOf(req.headers.range, size);
      }
      if (range.kind === 'unsatisfiable') return empty(416, { ...headers, 'content-range': `bytes */${size}` });
      const [start, end] = range.kind === 'part' ? [range.start, range.end] : [0, size - 1];
      if (range.kind === 'part') headers['content-range'] = `bytes ${start}-${end}/${size}`;
      headers['content-length'] = end - start + 1;
      res.writeHead(range.kind === 'part' ? 206 : 200, headers);
      if (method === 'HEAD' || end < start) {
        res.end();
        return;
      }
      const body = handle.createReadStream({ start, end }); // closes the handle when it ends or is destroyed
      handle = undefined;
      body.on('data', (chunk: Buffer | string) => {
        entry.bytes += chunk.length;
      });
      // pipeline destroys the file stream (closing the file) when the client goes away mid-body.
      pipeline(body, res, () => {});
    } finally {
      await handle?.close();
    }
  }
}

/**
 * Serves the store folder `root` over HTTP on `host:port` with `storeRequestHandler` (Range, CORS, the
 * summary files), for browser pages and remote readers; other paths are 404. Resolves once listening, with
 * the store's URL. Throws a `StoreError` (before listening) when `root` is not an existing folder, and a
 * `ConfigError` naming host:port when it cannot listen there (port in use, address not of this machine).
 *
 * @example
 * const served = await serveStore('./btc-store', { port: 8080 });
 * const train = await makeTfDataset(served.url, { features: ['price_usd'], targets: ['price_usd'], windowSize: 24 });
 * await served.close();
 */
export async function serveStore(root: string, options: ServeStoreOptions = {}): Promise<StoreServer> {
  const { port, host, ...handlerOptions } = parseOptions('serveStore', serveStoreOptionsSchema, options);
  const handle = handlerFor(checkRoot('serveStore', root), handlerOptions);
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404, { 'content-length': 0 }).end();
  });
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        done();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const why =
      code === 'EADDRINUSE'
        ? `${where} is already in use by another process; choose another port, or port 0 for a free one`
        : code === 'EACCES'
          ? `listening on ${where} is not permitted; use a port >= 1024`
          : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `cannot listen on ${where}: ${host} is not an address of this machine; use 127.0.0.1, 0.0.0.0 or one of its addresses`
            : `cannot listen on ${where} (${(err as Error).message})`;
    throw new ConfigError(`serveStore: ${why}`, { cause: err });
  }
  const address = server.address() as AddressInfo;
  const prefix = handlerOptions.prefix.endsWith('/') ? handlerOptions.prefix : `${handlerOptions.prefix}/`;
  // A wildcard address is reachable from this machine as loopback: the URL is one a local client can open.
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}${prefix}`,
    server,
    close: () =>
      (closing ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      })),
  };
}
