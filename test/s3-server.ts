import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * S3 servers for tests, on 127.0.0.1 only: `@20minutes/s3rver` 4.0.4, a proxy in front of it that adds what
 * it lacks (conditional writes) or breaks requests on purpose (503s), and a stub that answers S3's error XML.
 *
 * What s3rver 4.0.4 does, measured on Node 20.20 (OpenSSL 3.0) with aws4fetch-signed requests:
 * - checks SigV4 when a request is signed: a wrong secret → 403 SignatureDoesNotMatch (its body quotes the
 *   StringToSign), an unknown key id → 403 InvalidAccessKeyId; answers unsigned requests too, reads and
 *   writes alike (there is no AccessDenied for a missing permission or an anonymous caller);
 * - Range: 206 with Content-Range, 416 InvalidRange past the end; GET ignores `If-Match` (no 412);
 * - ListObjectsV2 with `max-keys` and continuation tokens, but it makes each token with DES, which OpenSSL 3
 *   refuses: a truncated page is a 500 InternalError unless Node runs with `--openssl-legacy-provider`, so
 *   the server runs in a child process started with that flag;
 * - multipart: create, upload part, complete (parts of any size: no EntityTooSmall), but no abort
 *   (DELETE ?uploadId is 405 MethodNotAllowed); a wrong part ETag at completion is a 500 InternalError;
 * - PUT ignores `If-Match` and `If-None-Match` (no conditional writes): see `startS3Proxy`'s `conditional`;
 * - canonicalises query strings with encodeURIComponent, not RFC 3986: a listing whose prefix has one of
 *   ! ' ( ) * is refused as SignatureDoesNotMatch (AWS, and aws4fetch, percent-encode them); in the path,
 *   keys with them are fine;
 * - HEAD of a missing key is 404 with no body; NoSuchBucket and NoSuchKey come as S3's XML; DELETE of a
 *   missing key is 204; ETags are quoted MD5s (a multipart object's is the whole object's MD5, not S3's
 *   `<md5 of md5s>-<parts>`); Last-Modified has whole seconds.
 */

/** s3rver's built-in key pair (its DUMMY_ACCOUNT), always known to it. */
export const S3RVER_KEY = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A running s3rver. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`: use as `s3.endpoint` (path-style). */
  endpoint: string;
  directory: string;
  close(): Promise<void>;
}

// Runs in the child: s3rver with the buckets and extra key pairs given as JSON in argv, its port printed once ready.
const CHILD = `
const [s3rverPath, accountPath, json] = process.argv.slice(1);
const S3rver = require(s3rverPath);
const { DUMMY_ACCOUNT } = require(accountPath);
const { directory, buckets, keys } = JSON.parse(json);
for (const k of keys) DUMMY_ACCOUNT.createKeyPair(k.accessKeyId, k.secretAccessKey);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
server.run().then((address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'));
// The parent's end of stdin closes when it exits, however it exits: no server outlives its test run.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/**
 * Starts s3rver 4.0.4 on 127.0.0.1 (an ephemeral port) over a fresh temporary directory, with `buckets`
 * and, besides S3RVER/S3RVER, the key pairs `keys`. It runs in a child Node process with
 * `--openssl-legacy-provider` (see above: ListObjectsV2 pagination needs DES).
 *
 * @example
 * const s3 = await startS3rver({ buckets: ['data'], keys: [{ accessKeyId: 'AKIATEST', secretAccessKey: 'wJalr...' }] });
 */
export async function startS3rver(options: { buckets?: string[]; keys?: { accessKeyId: string; secretAccessKey: string }[] } = {}): Promise<S3TestServer> {
  const require = createRequire(import.meta.url);
  const s3rverPath = require.resolve('@20minutes/s3rver');
  const accountPath = join(s3rverPath, '..', 'models', 'account.js');
  const directory = mkdtempSync(join(tmpdir(), 'tfpl-s3rver-'));
  const config = JSON.stringify({ directory, buckets: options.buckets ?? ['data'], keys: options.keys ?? [] });
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, s3rverPath, accountPath, config], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line!) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before listening: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    async close() {
      child.stdin!.end();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Puts objects straight into s3rver's folder, in its on-disk layout (`<bucket>/<key>._S3rver_object` and the
 * MD5 beside it): 1,203 objects take milliseconds this way, about 9 s as PUTs. s3rver reads the folder at
 * each request, so they are there at once.
 *
 * @example
 * seedObjects(s3, 'data', new Map([['store/a.parquet', bytes]]));
 */
export function seedObjects(server: S3TestServer, bucket: string, objects: ReadonlyMap<string, Uint8Array>): void {
  for (const [key, bytes] of objects) {
    const file = join(server.directory, bucket, ...key.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}._S3rver_object`, bytes);
    writeFileSync(`${file}._S3rver_object.md5`, createHash('md5').update(bytes).digest('hex'));
  }
}

/** One request as a proxy or stub saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  headers: IncomingMessage['headers'];
  /** The status answered. */
  status: number;
}

/** An answer a test server gives itself instead of forwarding. */
export interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A test server in front of (or instead of) s3rver. */
export interface S3TestProxy {
  endpoint: string;
  /** Every request, in arrival order, with the status it got. */
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** S3's error document, as AWS sends it. */
export function s3ErrorXml(code: string, message: string, extra: Record<string, string> = {}): string {
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${fields}<RequestId>4442587FB7D0A2F9</RequestId><HostId>tfpl-test</HostId></Error>`;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; endpoint: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function answer(res: ServerResponse, canned: CannedAnswer, method: string): void {
  const body = canned.body ?? '';
  res.writeHead(canned.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), ...canned.headers });
  res.end(method === 'HEAD' ? undefined : body);
}

/**
 * A server on 127.0.0.1 that answers every request with `respond(req)` (S3's exact error XML for errors
 * s3rver cannot produce, such as AccessDenied).
 *
 * @example
 * const stub = await startS3Stub(() => ({ status: 403, body: s3ErrorXml('AccessDenied', 'Access Denied') }));
 */
export async function startS3Stub(respond: (req: IncomingMessage) => CannedAnswer): Promise<S3TestProxy> {
  const seen: SeenRequest[] = [];
  const { server, endpoint } = await listen((req, res) => {
    req.resume();
    req.on('end', () => {
      const canned = respond(req);
      seen.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, status: canned.status });
      answer(res, canned, req.method ?? 'GET');
    });
  });
  return { endpoint, seen, close: () => closeServer(server) };
}

/** The ETag of an object at `path` (`/bucket/key`) on the target, or null: an unsigned HEAD (s3rver accepts those). */
function currentEtag(target: URL, path: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path, method: 'HEAD' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? (res.headers.etag ?? null) : null);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A proxy on 127.0.0.1 in front of an S3 server: forwards every request as it came (its Host header too, so
 * signatures still hold), and logs what it saw. `intercept` answers a request itself instead (e.g. 503 with
 * `Retry-After: 0` to the first attempts). With `conditional`, it does what AWS S3 does and s3rver does not:
 * a PUT or a CompleteMultipartUpload with `If-None-Match: *` on an existing key, or `If-Match` with another
 * ETag, is 412 PreconditionFailed (`If-Match` on a missing key: 404 NoSuchKey), and so is a GET or HEAD whose
 * `If-Match` no longer holds; writes to one key are serialised, check and write together.
 *
 * @example
 * const proxy = await startS3Proxy(s3.endpoint, { conditional: true });
 */
export async function startS3Proxy(
  targetEndpoint: string,
  options: {
    conditional?: boolean;
    intercept?: (req: IncomingMessage, index: number) => CannedAnswer | undefined;
    /** Called once the answer of request `index` (forwarded, or refused by the condition) has been sent whole. */
    answered?: (index: number, entry: SeenRequest) => void;
  } = {},
): Promise<S3TestProxy> {
  const target = new URL(targetEndpoint);
  const seen: SeenRequest[] = [];
  const locks = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier holder of `key`'s lock has finished. */
  async function serialised(key: string, fn: () => Promise<void>): Promise<void> {
    const before = locks.get(key) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => {});
    locks.set(key, tail);
    await mine;
    if (locks.get(key) === tail) locks.delete(key);
  }

  function forward(req: IncomingMessage, res: ServerResponse, entry: SeenRequest): Promise<void> {
    return new Promise((resolve) => {
      // One connection per forwarded request, so such a broken answer cannot reach the next request.
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent: false }, (upRes) => {
        entry.status = upRes.statusCode ?? 502;
        res.writeHead(entry.status, upRes.headers);
        upRes.pipe(res);
        upRes.on('end', resolve);
        upRes.on('error', (err) => {
          res.destroy(err);
          resolve();
        });
      });
      up.on('error', (err) => {
        // s3rver writes an object in place, so a GET racing a PUT of the same key can send more bytes than its
        // Content-Length ("Parse Error: Expected HTTP/" after the answer began): the client then sees the
        // connection cut, as from a real S3 dropping one, and the proxy keeps running.
        if (res.headersSent) {
          if (!res.writableEnded) res.destroy(err);
        } else {
          entry.status = 502;
          answer(res, { status: 502, body: String(err) }, req.method ?? 'GET');
        }
        resolve();
      });
      req.pipe(up);
    });
  }

  /** The refusal AWS would give, or undefined when the request's conditions hold. */
  async function refusal(req: IncomingMessage, path: string): Promise<CannedAnswer | undefined> {
    const ifMatch = req.headers['if-match'];
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
    const etag = await currentEtag(target, path);
    const failed = { status: 412, body: s3ErrorXml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: ifMatch ? 'If-Match' : 'If-None-Match' }) };
    if (ifNoneMatch === '*' && etag !== null && req.method !== 'GET' && req.method !== 'HEAD') return failed;
    if (ifMatch !== undefined) {
      if (etag === null) return { status: 404, body: s3ErrorXml('NoSuchKey', 'The specified key does not exist.', { Key: decodeURIComponent(path.split('/').slice(2).join('/')) }) };
      if (ifMatch !== '*' && ifMatch !== etag) return failed;
    }
    return undefined;
  }

  const { server, endpoint } = await listen((req, res) => {
    const entry: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, status: 0 };
    const index = seen.push(entry) - 1;
    if (options.answered) res.once('finish', () => options.answered!(index, entry));
    const canned = options.intercept?.(req, index);
    if (canned) {
      entry.status = canned.status;
      req.resume();
      req.on('end', () => answer(res, canned, entry.method));
      return;
    }
    const url = new URL(entry.url, 'http://x');
    const isWrite = entry.method === 'PUT' || (entry.method === 'POST' && url.searchParams.has('uploadId'));
    const isPart = url.searchParams.has('partNumber');
    if (!options.conditional || isPart || (!isWrite && entry.method !== 'GET' && entry.method !== 'HEAD')) {
      void forward(req, res, entry);
      return;
    }
    void serialised(url.pathname, async () => {
      const refused = await refusal(req, url.pathname);
      if (refused) {
        entry.status = refused.status;
        req.resume();
        answer(res, refused, entry.method);
        return;
      }
      await forward(req, res, entry);
    });
  });
  return { endpoint, seen, close: () => closeServer(server) };
}
