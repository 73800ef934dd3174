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
  const fail = (why: string, cause?: unknown) => new ParquetReadError(why, { file: url }, { cause });
  let head: Response;
  try {
    stats.requests++;
    head = await doFetch(url, { method: 'HEAD', headers });
  } catch (err) {
    throw fail(`HTTP HEAD failed (${(err as Error).message})`, err);
  }
  if (head.status === 404 || head.status === 410) return null;
  if (!head.ok) throw fail(`HTTP HEAD answered ${head.status} ${head.statusText}`);
  const length = Number(head.headers.get('content-length'));
  if (!Number.isSafeInteger(length) || length < 0) throw fail('HTTP HEAD gave no Content-Length; the loader needs the file size to read its footer');
  let whole: Uint8Array | null = null;
  const rangesRefused = head.headers.get('accept-ranges')?.toLowerCase() === 'none';

  async function download(): Promise<Uint8Array> {
    stats.requests++;
    const res = await doFetch(url, { headers });
    if (!res.ok) throw fail(`HTTP GET answered ${res.status} ${res.statusText}`);
    const body = new Uint8Array(await res.arrayBuffer());
    stats.bytesFetched += body.length;
    return body;
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
      let res: Response;
      try {
        stats.requests++;
        res = await doFetch(url, { headers: { ...headers, range: `bytes=${start}-${end - 1}` } });
      } catch (err) {
        throw fail(`HTTP GET bytes ${start}-${end - 1} failed (${(err as Error).message})`, err);
      }
      if (res.status === 200) {
        if (fallback === 'error') {
          await res.body?.cancel();
          throw refuse();
        }
        whole = new Uint8Array(await res.arrayBuffer());
        stats.bytesFetched += whole.length;
        return whole.subarray(start, end);
      }
      if (res.status !== 206) throw fail(`HTTP GET bytes ${start}-${end - 1} answered ${res.status} ${res.statusText}`);
      const body = new Uint8Array(await res.arrayBuffer());
      stats.bytesFetched += body.length;
      if (body.length !== end - start) throw fail(`HTTP GET bytes ${start}-${end - 1} returned ${body.length} bytes, expected ${end - start}`);
      return body;
    },
  };
}
