import type { ByteRangeSource } from './byte-range-source.js';
import { FileChangedError, ParquetReadError } from './parquet-read-error.js';
import { DEFAULT_RETRY, type FetchStats, newFetchStats, networkDetail, readBody, type RemoteContext, remoteRequest, type RetryPolicy } from './remote-request.js';

export type { FetchStats } from './remote-request.js';

/** What to do when a server answers a Range request with the whole file (status 200 instead of 206). */
export const RANGE_FALLBACKS = ['error', 'download'] as const;
export type RangeFallback = (typeof RANGE_FALLBACKS)[number];

export interface HttpSourceOptions {
  /** `fetch` to use (injected in tests). Default: the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Counters to add to. */
  stats?: FetchStats;
  /** Default 'error': a clear ParquetReadError. 'download': keep the whole body and serve reads from memory. */
  rangeFallback?: RangeFallback;
  /** Extra request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Milliseconds each request may take, its body included, before it fails with a `ParquetReadError`. Default 30 000. */
  fetchTimeoutMs?: number;
  /** How transient failures are retried. Default `DEFAULT_RETRY`. */
  retry?: RetryPolicy;
}

/** The default of `fetchTimeoutMs`: long enough for a footer or a column chunk over a slow link, short enough that a dead server is reported. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

/** The page's origin when this runs in a browser page or worker, else null (Node has no origin: CORS does not apply). */
function pageOrigin(): string | null {
  const loc = (globalThis as { location?: { origin?: string } }).location;
  return typeof loc?.origin === 'string' && loc.origin !== 'null' ? loc.origin : null;
}

/**
 * Why a request failed before any answer. A browser reports a CORS refusal and a dead server alike (a bare
 * TypeError), so a cross-origin failure is told apart by a no-cors probe: an opaque answer means the server
 * is up and refused this page's origin.
 */
export async function explainNetworkFailure(doFetch: typeof globalThis.fetch, url: string, what: string, err: unknown, headerNames: string[]): Promise<string> {
  const detail = networkDetail(err);
  const origin = pageOrigin();
  const target = new URL(url).origin;
  if (origin && origin !== target) {
    const reachable = await doFetch(url, { method: 'HEAD', mode: 'no-cors', signal: AbortSignal.timeout(5_000) }).then(
      () => true,
      () => false,
    );
    if (reachable) {
      const allow = ['range', ...headerNames.map((h) => h.toLowerCase())].join(', ');
      return (
        `${what} was refused by the browser (CORS): the server at ${target} answered, but not to pages of ${origin}. ` +
        `It must send Access-Control-Allow-Origin: ${origin} (or *) with every answer, answer preflight OPTIONS requests with ` +
        `Access-Control-Allow-Headers: ${allow}, and send Access-Control-Expose-Headers: Content-Range, Content-Length; \`tfpl serve <store>\` does all three`
      );
    }
  }
  return `${what} failed: could not reach ${url} (${detail}); check the URL and that the server is running`;
}

/**
 * An HTTP(S) file read with `Range` requests. Opening sends one HEAD (size, `Accept-Ranges`, and the ETag or
 * Last-Modified, pinned); each read is one ranged GET whose answer must be `206` with exactly the bytes
 * asked for. Every request is retried on transient failures (`retry`). A file that changes after it was
 * opened is refused, never read half old and half new: ranged GETs carry `If-Match` with the pinned ETag
 * (or `If-Unmodified-Since`), and every answer's ETag and total length are checked against the pinned ones,
 * for servers that ignore the condition. A server that ignores Range is detected before any decoder sees
 * the bytes (parquet-wasm aborts the process on such a server; this never does). Resolves null on 404.
 *
 * @example
 * const src = await httpSource('https://data.example.com/btc/part-00000.parquet', { headers: { authorization: `Bearer ${token}` } });
 */
export async function httpSource(url: string, options: HttpSourceOptions = {}): Promise<ByteRangeSource | null> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const stats = options.stats ?? newFetchStats();
  const fallback = options.rangeFallback ?? 'error';
  const headers = options.headers ?? {};
  const fail = (why: string, cause?: unknown) => new ParquetReadError(why, { file: url }, { cause });
  const ctx: RemoteContext = {
    fetch: doFetch,
    stats,
    retry: options.retry ?? DEFAULT_RETRY,
    timeoutMs: options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    explainNetworkFailure: (u, what, err) => explainNetworkFailure(doFetch, u, what, err, Object.keys(headers)),
  };
  const head = await remoteRequest(ctx, 'HTTP HEAD', url, { method: 'HEAD', headers }, async (res) => res, fail);
  if (head.status === 404 || head.status === 410) return null;
  if (!head.ok) throw fail(`HTTP HEAD answered ${head.status} ${head.statusText}`);
  const length = Number(head.headers.get('content-length'));
  if (!Number.isSafeInteger(length) || length < 0) throw fail('HTTP HEAD gave no Content-Length; the loader needs the file size to read its footer');
  // The version read from now on. A weak ETag cannot be matched with If-Match (its comparison is strong).
  const etag = head.headers.get('etag');
  const strongEtag = etag && !etag.startsWith('W/') ? etag : null;
  const lastModified = head.headers.get('last-modified');
  const condition: Record<string, string> = strongEtag ? { 'if-match': strongEtag } : lastModified ? { 'if-unmodified-since': lastModified } : {};
  const changed = (now: string) =>
    new FileChangedError(`the file changed after the store was opened (${now}); nothing of the new bytes was used: reopen the store to read its new state`, { file: url });
  let whole: Uint8Array | null = null;
  const rangesRefused = head.headers.get('accept-ranges')?.toLowerCase() === 'none';

  function download(): Promise<Uint8Array> {
    return remoteRequest(ctx, 'HTTP GET', url, { headers: { ...headers, ...condition } }, async (res) => {
      if (res.status === 412) throw changed(`HTTP GET answered 412 Precondition Failed to ${Object.keys(condition).join(', ')}`);
      if (!res.ok) throw fail(`HTTP GET answered ${res.status} ${res.statusText}`);
      checkVersion(res);
      return readBody(res, stats, length);
    }, fail);
  }
  /** The answer is of the file that was opened: same ETag (when both have one), same total length. */
  function checkVersion(res: Response): void {
    const now = res.headers.get('etag');
    if (etag && now && now !== etag) throw changed(`ETag ${now}, opened as ${etag}`);
    const total = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '')?.[1];
    if (total !== undefined && Number(total) !== length) throw changed(`${total} bytes, opened as ${length}`);
  }
  const refuse = () =>
    fail(
      'the server does not support HTTP Range requests (it answered a ranged GET with the whole file, or sent Accept-Ranges: none); ' +
        "serve the store from a server with Range support, or pass rangeFallback: 'download' to download whole files",
    );

  return {
    name: url,
    byteLength: length,
    version: strongEtag ?? etag ?? (lastModified ? `${length}@${lastModified}` : undefined),
    async read(start, end) {
      if (whole) return whole.subarray(start, end);
      if (end <= start) return new Uint8Array(0);
      if (rangesRefused) {
        if (fallback === 'error') throw refuse();
        whole = await download();
        return whole.subarray(start, end);
      }
      const what = `HTTP GET bytes ${start}-${end - 1}`;
      return remoteRequest(ctx, what, url, { headers: { ...headers, ...condition, range: `bytes=${start}-${end - 1}` } }, async (res) => {
        if (res.status === 412) {
          await res.body?.cancel();
          throw changed(`${what} answered 412 Precondition Failed to ${Object.keys(condition).join(', ')}`);
        }
        if (res.status === 200) {
          if (fallback === 'error') {
            await res.body?.cancel();
            throw refuse();
          }
          checkVersion(res);
          whole = await readBody(res, stats, length);
          return whole.subarray(start, end);
        }
        if (res.status !== 206) {
          await res.body?.cancel();
          // A range refused because the file is now shorter is a changed file, not a bad request.
          checkVersion(res);
          throw fail(`${what} answered ${res.status} ${res.statusText}`);
        }
        try {
          checkVersion(res);
        } catch (err) {
          await res.body?.cancel();
          throw err;
        }
        return readBody(res, stats, end - start);
      }, fail);
    },
  };
}
