import type { ByteRangeSource } from './byte-range-source.js';
import { DEFAULT_FETCH_TIMEOUT_MS, explainNetworkFailure, type HttpSourceOptions } from './http-source.js';
import { ParquetReadError } from './parquet-read-error.js';
import { DEFAULT_RETRY, newFetchStats, readBody, type RemoteContext, remoteRequest } from './remote-request.js';
import type { FileLook } from './store-location.js';

/** Whether `version` is an HTTP entity tag (`"…"` or `W/"…"`), which servers compare with `If-None-Match`. */
export function isEntityTag(version: string): boolean {
  return /^(W\/)?"/.test(version);
}

/** Marks a version that is a Last-Modified date a server may be asked `If-Modified-Since`. */
const MODIFIED = 'modified:';

/**
 * A Last-Modified date tells versions apart only when the answer was sent at least a second after it (RFC 9110
 * §8.8.2.2): a file rewritten within the same second keeps the same date.
 */
function isStrongDate(lastModified: string | null, date: string | null): boolean {
  if (lastModified === null || date === null) return false;
  return Date.parse(date) - Date.parse(lastModified) >= 1000;
}

/**
 * Looks whether the file at `url` changed since `version` with one GET: conditional on the ETag
 * (`If-None-Match`; 304 answers "unchanged" without a body) or, from a server without ETags, on a
 * Last-Modified date that can be trusted (`If-Modified-Since`); with neither, the file is fetched and its
 * bytes are the caller's to compare. Retried like every remote request; an answer other than 200, 304 or
 * 404 is a `ParquetReadError` naming the file.
 *
 * @example
 * const look = await httpChangedSince('https://data.example.com/btc/_metadata', '"5f2a-1c"');
 * if (look.changed) console.log('new version', look.version, look.file?.byteLength);
 */
export async function httpChangedSince(url: string, version: string | null, options: HttpSourceOptions = {}, signal?: AbortSignal): Promise<FileLook> {
  const stats = options.stats ?? newFetchStats();
  const doFetch = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { ...options.headers };
  if (version !== null && isEntityTag(version)) headers['if-none-match'] = version;
  else if (version?.startsWith(MODIFIED)) headers['if-modified-since'] = version.slice(MODIFIED.length);
  const ctx: RemoteContext = {
    fetch: doFetch,
    stats,
    retry: options.retry ?? DEFAULT_RETRY,
    timeoutMs: options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    ...(signal ? { signal } : {}),
    explainNetworkFailure: (u, w, err) => explainNetworkFailure(doFetch, u, w, err, Object.keys(headers)),
  };
  const fail = (why: string, cause?: unknown) => new ParquetReadError(why, { file: url }, { cause });
  const what = headers['if-none-match'] ? 'HTTP GET If-None-Match' : headers['if-modified-since'] ? 'HTTP GET If-Modified-Since' : 'HTTP GET';
  // A browser's HTTP cache would otherwise answer an unconditional GET with the copy it kept.
  return remoteRequest(ctx, what, url, { headers, cache: 'no-store' }, async (res): Promise<FileLook> => {
    if (res.status === 304) {
      await res.body?.cancel();
      return { changed: false };
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      return { changed: true, version: null, file: null };
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw fail(`${what} answered ${res.status} ${res.statusText}`.trimEnd());
    }
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    // A body the server compressed has another length than its Content-Length.
    const length = res.headers.get('content-encoding') === null ? res.headers.get('content-length') : null;
    const bytes = await readBody(res, stats, length === null ? undefined : Number(length));
    // A server that ignores If-None-Match sends the same version again.
    if (etag !== null && etag === version) return { changed: false };
    const next = etag ?? (isStrongDate(lastModified, res.headers.get('date')) ? `${MODIFIED}${lastModified}` : null);
    const file: ByteRangeSource = {
      name: url,
      byteLength: bytes.length,
      version: etag ?? (lastModified ? `${bytes.length}@${lastModified}` : undefined),
      read: async (start, end) => bytes.subarray(start, end),
    };
    return { changed: true, version: next, file };
  }, fail);
}
