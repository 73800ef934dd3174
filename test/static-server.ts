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
  options: { requireHeaders?: Record<string, string>; cors?: boolean; stallAfter?: { requests: number; midBody?: boolean } } = {},
): Promise<{ url: string; log: ServerLog; close(): Promise<void> }> {
  const log: ServerLog = { requests: [], bytesSent: 0, refused: 0 };
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
        res.writeHead(206, { 'content-length': 1000, 'content-range': 'bytes 0-999/1000' });
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
    try {
      const st = statSync(file);
      if (!st.isFile() || !file.startsWith(root)) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const m = ranges ? /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '') : null;
    const start = m ? Number(m[1]) : 0;
    const end = m ? Math.min(Number(m[2]), size - 1) : size - 1;
    const headers: Record<string, string | number> = { 'content-length': end - start + 1, 'content-type': 'application/octet-stream' };
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
