/**
 * One remote request (HEAD, ranged GET, list, PUT) with its answer read under one deadline, retried on what
 * a network does from time to time: a connection reset or refused, an answer that never comes or stops
 * halfway, a body shorter than asked for, 408, 429 and 5xx (honouring `Retry-After`). What retrying cannot
 * change (400, 401, 403, 404, 412, 416, a refused range) is answered at once. Every HTTP and object-store
 * request of the SDK goes through here, so they all count and retry alike.
 */

/** Bytes, requests and retries of a remote store so far (shared by every file of the store). */
export interface FetchStats {
  bytesFetched: number;
  requests: number;
  /** Requests sent again after a transient failure (each retry counts once; also counted in `requests`). */
  retries: number;
  /** Bytes read from the `cache` instead of the network. */
  bytesFromCache: number;
}

/** An empty `FetchStats`. */
export function newFetchStats(): FetchStats {
  return { bytesFetched: 0, requests: 0, retries: 0, bytesFromCache: 0 };
}

/** How transient failures are retried; see `retryOptionsShape` for the defaults. */
export interface RetryPolicy {
  /** Attempts per request, the first included (1: no retry). */
  attempts: number;
  /** Backoff ceiling of the first retry in ms; doubled at each retry up to `maxDelayMs`. The wait is uniform in [0, ceiling] (full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts once this many ms have passed since the first attempt: a dead server fails within about this plus one request timeout. */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5_000, maxElapsedMs: 60_000 };

/**
 * Thrown by an answer's reader for an answer that retrying may fix (a body cut short, a server that sent the
 * wrong bytes once): the request is sent again.
 */
export class TransientFailure extends Error {
  override name = 'TransientFailure';
  /** Milliseconds the server asked to wait (`Retry-After`), when it did. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, { cause: options?.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** Statuses worth sending again: the server is busy, overloaded, restarting or timed out. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** `Retry-After` as ms (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What a request needs besides its URL: how to send it, what to count, how long to wait and how to retry. */
export interface RemoteContext {
  fetch: typeof globalThis.fetch;
  stats: FetchStats;
  retry: RetryPolicy;
  /** Each attempt, its answer's body included, fails after this many ms. */
  timeoutMs: number;
  /** Ends every attempt and every wait at once (the caller gave up). */
  signal?: AbortSignal;
  /** Explains a request that failed before any answer (a browser tells a CORS refusal from a dead server here). */
  explainNetworkFailure?: (url: string, what: string, err: unknown) => Promise<string>;
}

/** The detail of a network failure: undici's cause code (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET) or the message. */
export function networkDetail(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? err.message;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Why the last attempt failed, and whether another may succeed. */
type Attempt<T> = { ok: true; value: T } | { ok: false; transient: boolean; reason: string; cause: unknown; waitMs?: number; rethrow?: unknown };

/**
 * Sends `init` to `url` and hands the answer to `read`, retrying transient failures by `ctx.retry`; `read`
 * sees only answers whose status retrying would not change, and may throw `TransientFailure` (a short body)
 * to retry. Fails with `fail(reason)`: the reason names the request, the attempts made and the last cause.
 *
 * @example
 * const bytes = await remoteRequest(ctx, 'HTTP GET bytes 0-99', url, { headers: { range: 'bytes=0-99' } }, readBody, (m, c) => new ParquetReadError(m, { file: url }, { cause: c }));
 */
export async function remoteRequest<T>(
  ctx: RemoteContext,
  what: string,
  url: string,
  init: RequestInit,
  read: (res: Response) => Promise<T>,
  fail: (reason: string, cause?: unknown) => Error,
): Promise<T> {
  const { retry } = ctx;
  const started = Date.now();
  let last: Attempt<T> | undefined;
  for (let attempt = 1; ; attempt++) {
    last = await once(ctx, what, url, init, read);
    if (last.ok) return last.value;
    if (last.rethrow !== undefined) throw last.rethrow;
    if (ctx.signal?.aborted) throw fail(`${what} was cancelled`, ctx.signal.reason);
    const elapsed = Date.now() - started;
    const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
    // Full jitter, but never sooner than the server asked.
    const wait = Math.max(last.waitMs ?? 0, Math.random() * ceiling);
    if (!last.transient || attempt >= retry.attempts || elapsed + wait > retry.maxElapsedMs) {
      if (!last.transient) throw fail(last.reason, last.cause);
      const why = attempt >= retry.attempts ? `${attempt} attempts` : `${attempt} attempt${attempt === 1 ? '' : 's'} in ${elapsed} ms (retry.maxElapsedMs ${retry.maxElapsedMs})`;
      throw fail(`${last.reason}; gave up after ${why}. The server keeps failing: check it, or raise retry.attempts / retry.maxElapsedMs`, last.cause);
    }
    ctx.stats.retries++;
    await sleep(wait, ctx.signal).catch(() => {});
  }
}

async function once<T>(ctx: RemoteContext, what: string, url: string, init: RequestInit, read: (res: Response) => Promise<T>): Promise<Attempt<T>> {
  const timeout = AbortSignal.timeout(ctx.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;
  ctx.stats.requests++;
  let res: Response;
  // Called as a plain function: a browser's fetch refuses any other `this` than the window ("Illegal invocation").
  const send = ctx.fetch;
  try {
    res = await send(url, { ...init, signal });
  } catch (err) {
    if (ctx.signal?.aborted) return { ok: false, transient: false, reason: `${what} was cancelled`, cause: err };
    if (timeout.aborted) return { ok: false, transient: true, reason: `${what} got no answer within ${ctx.timeoutMs} ms (fetchTimeoutMs)`, cause: err };
    const reason = ctx.explainNetworkFailure ? await ctx.explainNetworkFailure(url, what, err) : `${what} failed: could not reach ${url} (${networkDetail(err)}); check the URL and that the server is running`;
    return { ok: false, transient: true, reason, cause: err };
  }
  if (isTransientStatus(res.status)) {
    await res.body?.cancel().catch(() => {});
    return { ok: false, transient: true, reason: `${what} answered ${res.status} ${res.statusText}`.trimEnd(), cause: undefined, waitMs: retryAfterMs(res.headers.get('retry-after')) };
  }
  try {
    return { ok: true, value: await read(res) };
  } catch (err) {
    if (ctx.signal?.aborted) return { ok: false, transient: false, reason: `${what} was cancelled`, cause: err };
    if (err instanceof TransientFailure) return { ok: false, transient: true, reason: `${what}: ${err.message}`, cause: err, waitMs: err.retryAfterMs };
    if (timeout.aborted) return { ok: false, transient: true, reason: `${what} did not finish within ${ctx.timeoutMs} ms (the answer stopped halfway; fetchTimeoutMs)`, cause: err };
    // A body that broke off (the connection was reset while it came) is as transient as a refused connection.
    if (err instanceof TypeError) return { ok: false, transient: true, reason: `${what} broke off while reading the answer (${networkDetail(err)})`, cause: err };
    // What `read` refused on purpose (a 404, a refused range) is its caller's error, as it is.
    return { ok: false, transient: false, reason: err instanceof Error ? err.message : String(err), cause: err, rethrow: err };
  }
}

/** Reads a body whole, counting its bytes; a body shorter than `expected` is a `TransientFailure`. */
export async function readBody(res: Response, stats: FetchStats, expected?: number): Promise<Uint8Array> {
  const body = new Uint8Array(await res.arrayBuffer());
  stats.bytesFetched += body.length;
  if (expected !== undefined && body.length !== expected) throw new TransientFailure(`returned ${body.length} bytes, expected ${expected}`);
  return body;
}
