import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

/** What the test server saw: requests and body bytes sent. */
export interface ServerLog {
  requests: { method: string; path: string; range: string | undefined }[];
  bytesSent: number;
  /** Requests answered 401 for a missing or wrong required header. */
  refused: number;
  /** Faults injected, by kind. */
  faults: { '503': number; reset: number; cut: number };
}

/** A fault the server injects into a request: 503 with `Retry-After: 0`, a reset connection, or a body cut off halfway. */
export type FaultKind = '503' | 'reset' | 'cut';

/** mulberry32: the same seed gives the same faults at the same requests. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A static file server on 127.0.0.1 (ephemeral port) over `root`. With `ranges: true` it answers
 * `Range: bytes=a-b` with 206 and advertises `Accept-Ranges: bytes`; with `ranges: false` it ignores Range
 * and sends the whole file with 200, as some servers do. With `requireHeaders`, a request without those
 * header values is answered 401 (an authenticated store). With `cors`, pages of any origin may read it;
 * with `stallAfter`, it stops answering (or stops halfway through a body) after that many requests.
 */
export async function startStaticServer(
  root: string,
  ranges: boolean,
  options: {
    requireHeaders?: Record<string, string>;
    cors?: boolean;
    stallAfter?: { requests: number; midBody?: boolean };
    /** Inject faults into this share of requests (seeded), of these kinds (default all three; `cut` only hits ranged GETs). */
    faults?: { seed: number; rate: number; kinds?: FaultKind[]; methods?: string[] };
    /** Send an ETag (size and mtime) and answer `If-Match` that no longer holds with 412. Default true; false: a server that ignores If-Match. */
    etag?: boolean;
  } = {},
): Promise<{ url: string; log: ServerLog; close(): Promise<void> }> {
  const log: ServerLog = { requests: [], bytesSent: 0, refused: 0, faults: { '503': 0, reset: 0, cut: 0 } };
  const faultRandom = options.faults ? seeded(options.faults.seed) : null;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path));
    log.requests.push({ method: req.method ?? 'GET', path, range: req.headers.range });
    if (options.cors) {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', 'content-range, content-length, accept-ranges');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'access-control-allow-headers': 'range, authorization', 'access-control-allow-methods': 'GET, HEAD' }).end();
        return;
      }
    }
    // A stalled server: past the first `requests` requests it answers nothing, or sends headers and half a body.
    if (options.stallAfter && log.requests.length > options.stallAfter.requests) {
      if (options.stallAfter.midBody && req.method !== 'HEAD') {
        res.writeHead(206, { 'content-length': 1000, 'content-range': 'bytes 0-999/*' });
        res.write(new Uint8Array(10));
      }
      return;
    }
    if (Object.entries(options.requireHeaders ?? {}).some(([k, v]) => req.headers[k.toLowerCase()] !== v)) {
      log.refused++;
      res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      return;
    }
    let size: number;
    let etag: string;
    try {
      const st = statSync(file);
      if (!st.isFile() || !file.startsWith(root)) throw new Error('not a file');
      size = st.size;
      etag = `"${st.ino}-${st.size}-${st.mtimeMs}"`;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const m = ranges ? /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') : null;
    const start = m ? Number(m[1]) : 0;
    const end = m ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (options.etag !== false && req.headers['if-match'] !== undefined && req.headers['if-match'] !== etag) {
      res.writeHead(412, { 'content-length': 0, etag }).end();
      return;
    }
    if (m && start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': 0 }).end();
      return;
    }
    const f = options.faults;
    if (f && faultRandom && (f.methods ?? ['GET', 'HEAD']).includes(req.method ?? '') && faultRandom() < f.rate) {
      const kinds = (f.kinds ?? ['503', 'reset', 'cut']).filter((k) => k !== 'cut' || (m && req.method === 'GET'));
      const kind = kinds[Math.floor(faultRandom() * kinds.length)];
      if (kind) {
        log.faults[kind]++;
        if (kind === '503') res.writeHead(503, { 'retry-after': '0', 'content-length': 0 }).end();
        else if (kind === 'reset') req.socket.destroy();
        else {
          // Headers for the whole range, then half of it, then the connection goes.
          res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}`, 'accept-ranges': 'bytes' });
          const half = Math.floor((end - start + 1) / 2);
          if (half === 0) req.socket.destroy();
          else createReadStream(file, { start, end: start + half - 1 }).on('data', (c) => res.write(c)).on('end', () => req.socket.destroy());
        }
        return;
      }
    }
    const headers: Record<string, string | number> = { 'content-length': end - start + 1, 'content-type': 'application/octet-stream' };
    if (options.etag !== false) headers.etag = etag;
    if (ranges) headers['accept-ranges'] = 'bytes';
    if (m) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(m ? 206 : 200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    log.bytesSent += end - start + 1;
    createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
