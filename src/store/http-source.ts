import type { ByteRangeSource } from './byte-range-source.js';
import { ParquetReadError } from './parquet-read-error.js';

/** What to do when a server answers a Range request with the whole file (status 200 instead of 206). */
export const RANGE_FALLBACKS = ['error', 'download'] as const;
export type RangeFallback = (typeof RANGE_FALLBACKS)[number];

/** Bytes and requests an HTTP store has fetched so far (shared by every file of the store). */
export interface FetchStats {
  bytesFetched: number;
  requests: number;
}

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
async function explainNetworkFailure(doFetch: typeof globalThis.fetch, url: string, what: string, err: unknown, headerNames: string[]): Promise<string> {
  const detail = err instanceof Error ? ((err.cause as { code?: string } | undefined)?.code ?? err.message) : String(err);
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
 * An HTTP(S) file read with `Range` requests. Opening sends one HEAD (size and `Accept-Ranges`); each read
 * is one ranged GET whose answer must be `206`. A server that ignores Range is detected before any decoder
 * sees the bytes (parquet-wasm aborts the process on such a server; this never does). Resolves null on 404.
 *
 * @example
 * const src = await httpSource('https://data.example.com/btc/part-00000.parquet', { headers: { authorization: `Bearer ${token}` } });
 */
export async function httpSource(url: string, options: HttpSourceOptions = {}): Promise<ByteRangeSource | null> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const stats = options.stats ?? { bytesFetched: 0, requests: 0 };
  const fallback = options.rangeFallback ?? 'error';
  const headers = options.headers ?? {};
  const timeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const fail = (why: string, cause?: unknown) => new ParquetReadError(why, { file: url }, { cause });
  /**
   * One request and its body under one deadline: a server that stops sending halfway fails as surely as one
   * that never answers. `status` is checked before the body is read, so a refused range is not downloaded.
   */
  async function request<T>(what: string, init: RequestInit, read: (res: Response) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(timeoutMs);
    stats.requests++;
    let res: Response;
    try {
      res = await doFetch(url, { ...init, signal });
    } catch (err) {
      if (signal.aborted) throw fail(`${what} got no answer within ${timeoutMs} ms; check the server, or raise fetchTimeoutMs`, err);
      throw fail(await explainNetworkFailure(doFetch, url, what, err, Object.keys(headers)), err);
    }
    try {
      return await read(res);
    } catch (err) {
      if (signal.aborted) throw fail(`${what} did not finish within ${timeoutMs} ms (the answer stopped halfway); check the server, or raise fetchTimeoutMs`, err);
      throw err instanceof ParquetReadError ? err : fail(`${what} broke off while reading the answer (${(err as Error).message})`, err);
    }
  }
  const head = await request('HTTP HEAD', { method: 'HEAD', headers }, async (res) => res);
  if (head.status === 404 || head.status === 410) return null;
  if (!head.ok) throw fail(`HTTP HEAD answered ${head.status} ${head.statusText}`);
  const length = Number(head.headers.get('content-length'));
  if (!Number.isSafeInteger(length) || length < 0) throw fail('HTTP HEAD gave no Content-Length; the loader needs the file size to read its footer');
  let whole: Uint8Array | null = null;
  const rangesRefused = head.headers.get('accept-ranges')?.toLowerCase() === 'none';

  function download(): Promise<Uint8Array> {
    return request('HTTP GET', { headers }, async (res) => {
      if (!res.ok) throw fail(`HTTP GET answered ${res.status} ${res.statusText}`);
      const body = new Uint8Array(await res.arrayBuffer());
      stats.bytesFetched += body.length;
      return body;
    });
  }
  const refuse = () =>
    fail(
      'the server does not support HTTP Range requests (it answered a ranged GET with the whole file, or sent Accept-Ranges: none); ' +
        "serve the store from a server with Range support, or pass rangeFallback: 'download' to download whole files",
    );

  return {
    name: url,
    byteLength: length,
    async read(start, end) {
      if (whole) return whole.subarray(start, end);
      if (end <= start) return new Uint8Array(0);
      if (rangesRefused) {
        if (fallback === 'error') throw refuse();
        whole = await download();
        return whole.subarray(start, end);
      }
      const what = `HTTP GET bytes ${start}-${end - 1}`;
      return request(what, { headers: { ...headers, range: `bytes=${start}-${end - 1}` } }, async (res) => {
        if (res.status === 200) {
          if (fallback === 'error') {
            await res.body?.cancel();
            throw refuse();
          }
          whole = new Uint8Array(await res.arrayBuffer());
          stats.bytesFetched += whole.length;
          return whole.subarray(start, end);
        }
        if (res.status !== 206) {
          await res.body?.cancel();
          throw fail(`${what} answered ${res.status} ${res.statusText}`);
        }
        const body = new Uint8Array(await res.arrayBuffer());
        stats.bytesFetched += body.length;
        if (body.length !== end - start) throw fail(`${what} returned ${body.length} bytes, expected ${end - start}`);
        return body;
      });
    },
  };
}
