import { z } from 'zod';
import { type Clock, systemClock } from './clock.js';
import { CoinGeckoError, type CoinGeckoFailure, parseErrorBody, parseRetryAfter } from './coingecko-error.js';
import { deadlineSignal } from './deadline-signal.js';
import { type IngestLogger, stderrLogger } from './log.js';
import { parseMarketChart } from './market-chart.js';
import { parseOptions } from '../options.js';
import type { PriceRow } from './price-row.js';
import { RateLimiter } from './rate-limiter.js';
import { backoffDelay } from './retry.js';
import { parseSimplePrice } from './simple-price.js';

/** Root URLs per plan (CoinGecko docs, "Authentication"). */
export const COINGECKO_BASE_URLS = { demo: 'https://api.coingecko.com/api/v3', pro: 'https://pro-api.coingecko.com/api/v3' } as const;

/** The header that carries the key; the documented alternative, a query parameter, would leak it into URLs and logs. */
const KEY_HEADERS = { demo: 'x-cg-demo-api-key', pro: 'x-cg-pro-api-key' } as const;

const isFunction = (v: unknown) => typeof v === 'function';

const clientOptionsSchema = z
  .strictObject({
    baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.coingecko.com/api/v3' }).optional(),
    apiKey: z.string().min(1, { error: 'must be a non-empty string' }).optional(),
    plan: z.enum(['demo', 'pro'], { error: "must be one of 'demo', 'pro'" }).default('demo'),
    fetch: z.custom<typeof fetch>(isFunction, { error: 'must be a fetch-compatible function' }).optional(),
    timeoutMs: z.number().int().positive({ error: 'must be an integer > 0' }).default(30_000),
    maxRetries: z.number().int().min(0).max(10, { error: 'must be an integer from 0 to 10' }).default(3),
    callsPerMinute: z.number().positive({ error: 'must be a number > 0' }).optional(),
    baseDelayMs: z.number().nonnegative({ error: 'must be a number >= 0' }).default(1000),
    maxDelayMs: z.number().nonnegative({ error: 'must be a number >= 0' }).default(60_000),
    clock: z.custom<Clock>((v) => !!v && isFunction((v as Clock).now) && isFunction((v as Clock).sleep), { error: 'must be { now(), sleep(ms, signal) }' }).optional(),
    random: z.custom<() => number>(isFunction, { error: 'must be a function returning [0, 1)' }).optional(),
    log: z.custom<IngestLogger>(isFunction, { error: 'must be a function' }).optional(),
  })
  .refine((o) => o.plan !== 'pro' || o.apiKey !== undefined, { error: "plan 'pro' needs apiKey (pro-api.coingecko.com rejects keyless calls)", path: ['plan'] });

/**
 * Options of `new CoinGeckoClient(options)`:
 * - `baseUrl`: API root; default `https://api.coingecko.com/api/v3` (plan `demo`) or `https://pro-api.coingecko.com/api/v3` (plan `pro`).
 * - `apiKey`: sent only in the `x-cg-demo-api-key` / `x-cg-pro-api-key` header; never in a URL, log line or error. Optional for `demo`.
 * - `plan`: `'demo'` (default) or `'pro'` (needs `apiKey`).
 * - `fetch`: default Node's global `fetch`.
 * - `timeoutMs`: per attempt, headers and body together; default 30 000.
 * - `maxRetries`: extra attempts after a 429, 408, 5xx, timeout or network error; default 3.
 * - `callsPerMinute`: client-side limit; default 30 (`demo`) or 250 (`pro`).
 * - `baseDelayMs` / `maxDelayMs`: exponential backoff for 408/5xx/network errors; default 1 000 / 60 000.
 *   A 429 waits what `Retry-After` says (or the backoff when it is absent).
 * - `clock`, `random`, `log`: injected time, jitter source and event sink; defaults: wall clock, `Math.random`, one line on stderr.
 */
export type CoinGeckoClientOptions = z.input<typeof clientOptionsSchema>;

const idSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'must be a CoinGecko id such as "bitcoin"' });
const currencySchema = z.string().regex(/^[a-z0-9]+$/i, { error: 'must be a currency code such as "usd"' });
const signalSchema = z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional();
const timeSchema = z.union([z.number().int(), z.date()], { error: 'must be epoch milliseconds or a Date' }).transform((v) => (typeof v === 'number' ? v : v.getTime()));

const deadlineSchema = z.number({ error: 'must be epoch milliseconds' }).optional();

const simplePriceSchema = z.strictObject({
  ids: z.array(idSchema).min(1, { error: 'must list at least one coin id' }),
  vsCurrency: currencySchema.default('usd'),
  signal: signalSchema,
  deadline: deadlineSchema,
});

/**
 * Options of `simplePrice`: `ids` (CoinGecko coin ids), `vsCurrency` (default `'usd'`), `signal`, and `deadline`
 * (epoch ms on the client's clock): a call whose rate-limiter slot starts after it fails at once (`throttled`), and a
 * retry whose wait would end after it is not attempted (the last error is thrown).
 */
export type SimplePriceOptions = z.input<typeof simplePriceSchema>;

const marketChartRangeSchema = z
  .strictObject({ id: idSchema, vsCurrency: currencySchema.default('usd'), from: timeSchema, to: timeSchema, signal: signalSchema, deadline: deadlineSchema })
  .refine((o) => o.to > o.from, { error: 'must be later than from', path: ['to'] });

/** Options of `marketChartRange`: `id`, `vsCurrency` (default `'usd'`), `from`/`to` (epoch ms or Date, to > from), `signal`, `deadline` (as for `simplePrice`). */
export type MarketChartRangeOptions = z.input<typeof marketChartRangeSchema>;

/**
 * A small CoinGecko API v3 client: two endpoints, retries that respect `Retry-After`, a client-side rate limiter,
 * and errors that say what the API said whatever shape its body came in.
 *
 * @example
 * const client = new CoinGeckoClient({ apiKey: process.env.COINGECKO_API_KEY });
 * const { bitcoin } = await client.simplePrice({ ids: ['bitcoin'], vsCurrency: 'usd' });
 * const history = await client.marketChartRange({ id: 'bitcoin', vsCurrency: 'usd', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 1, 1) });
 */
export class CoinGeckoClient {
  readonly baseUrl: string;
  readonly plan: 'demo' | 'pro';
  /** The client-side limit in force (the option, or the plan's default). */
  readonly callsPerMinute: number;
  readonly log: IngestLogger;
  private readonly options: z.output<typeof clientOptionsSchema>;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  /** The key as is and in the encodings a URL, query string or header dump would give it. */
  private readonly keyPattern: RegExp | undefined;

  constructor(options: CoinGeckoClientOptions = {}) {
    this.options = parseOptions('CoinGeckoClient', clientOptionsSchema, options, ['apiKey']);
    this.plan = this.options.plan;
    this.baseUrl = (this.options.baseUrl ?? COINGECKO_BASE_URLS[this.plan]).replace(/\/+$/, '');
    this.clock = this.options.clock ?? systemClock;
    this.log = this.options.log ?? stderrLogger;
    this.callsPerMinute = this.options.callsPerMinute ?? (this.plan === 'pro' ? 250 : 30);
    this.limiter = new RateLimiter(this.callsPerMinute, this.clock);
    this.keyPattern = this.options.apiKey === undefined ? undefined : keyPattern(this.options.apiKey);
  }

  /**
   * Current price, market cap, 24 h volume and 24 h change of each coin (`/simple/price`), keyed by id.
   * `timestamp` is CoinGecko's `last_updated_at`. Throws `CoinGeckoError` (failure `invalid-body`) when a field is
   * missing or mistyped.
   *
   * @example
   * const { bitcoin } = await client.simplePrice({ ids: ['bitcoin'] }); // bitcoin.price_usd
   */
  async simplePrice(options: SimplePriceOptions): Promise<Record<string, PriceRow>> {
    const { ids, vsCurrency, signal, deadline } = parseOptions('simplePrice', simplePriceSchema, options);
    const endpoint = `/simple/price?${new URLSearchParams({
      ids: ids.join(','),
      vs_currencies: vsCurrency,
      include_market_cap: 'true',
      include_24hr_vol: 'true',
      include_24hr_change: 'true',
      include_last_updated_at: 'true',
    })}`;
    const body = await this.getJson(endpoint, signal, deadline);
    const parsed = parseSimplePrice(body, ids, vsCurrency);
    if (!parsed.ok) throw this.invalidBody(endpoint, body, parsed.problem);
    return parsed.rows;
  }

  /**
   * Price history between `from` and `to` (`/coins/{id}/market_chart/range`), one row per timestamp in ascending
   * order, `price_change_24h` derived from the point nearest to 24 h earlier when the response holds one.
   * Ranges up to 90 days come back hourly, longer ones daily.
   *
   * @example
   * const rows = await client.marketChartRange({ id: 'bitcoin', from: Date.UTC(2024, 0, 1), to: Date.UTC(2024, 0, 8) });
   */
  async marketChartRange(options: MarketChartRangeOptions): Promise<PriceRow[]> {
    const { id, vsCurrency, from, to, signal, deadline } = parseOptions('marketChartRange', marketChartRangeSchema, options);
    const endpoint = `/coins/${encodeURIComponent(id)}/market_chart/range?${new URLSearchParams({
      vs_currency: vsCurrency,
      from: String(Math.floor(from / 1000)),
      to: String(Math.ceil(to / 1000)),
    })}`;
    const body = await this.getJson(endpoint, signal, deadline);
    const parsed = parseMarketChart(body);
    if (!parsed.ok) throw this.invalidBody(endpoint, body, parsed.problem);
    if (parsed.dropped > 0) {
      this.log({ level: 'warn', message: `CoinGecko GET ${endpoint}: dropped ${parsed.dropped} point(s) without price or market cap`, reason: 'incomplete-points', endpoint });
    }
    return parsed.rows;
  }

  /** GET with rate limiting and retries; returns the parsed JSON body of a 2xx response. */
  private async getJson(endpoint: string, signal: AbortSignal | undefined, deadline: number | undefined): Promise<unknown> {
    const { maxRetries } = this.options;
    for (let attempt = 0; ; attempt++) {
      let failure: CoinGeckoError;
      let acquired: boolean;
      try {
        acquired = await this.limiter.acquire(signal, deadline);
      } catch (err) {
        throw signal?.aborted ? this.aborted(endpoint, err, `while waiting for the rate limiter (${this.callsPerMinute} calls/min)`) : err;
      }
      if (!acquired) throw this.error('throttled', endpoint, `not sent: the client-side rate limit (${this.callsPerMinute} calls/min) has no free slot before the deadline`);
      try {
        return await this.attempt(endpoint, signal);
      } catch (err) {
        if (!(err instanceof CoinGeckoError)) throw signal?.aborted ? this.aborted(endpoint, err) : err;
        failure = err;
      }
      if (!failure.retryable || attempt >= maxRetries) throw failure;
      const delay = failure.retryAfterMs ?? backoffDelay(attempt + 1, { baseDelayMs: this.options.baseDelayMs, maxDelayMs: this.options.maxDelayMs, random: this.options.random ?? Math.random });
      if (deadline !== undefined && this.clock.now() + delay >= deadline) {
        this.log({ level: 'warn', message: `CoinGecko GET ${endpoint}: ${failure.message}; no retry: waiting ${delay} ms would pass the deadline`, reason: failure.failure, endpoint, status: failure.status, delayMs: delay });
        throw failure;
      }
      this.log({ level: 'warn', message: `CoinGecko GET ${endpoint}: ${failure.message}; retry ${attempt + 1}/${maxRetries} in ${delay} ms`, reason: failure.failure, endpoint, status: failure.status, delayMs: delay });
      try {
        await this.clock.sleep(delay, signal);
      } catch (err) {
        throw this.aborted(endpoint, err, `while waiting to retry after: ${failure.message}`, failure);
      }
    }
  }

  private async attempt(endpoint: string, signal: AbortSignal | undefined): Promise<unknown> {
    const timeout = deadlineSignal(this.options.timeoutMs, signal);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey !== undefined) headers[KEY_HEADERS[this.plan]] = this.options.apiKey;
    const doFetch = this.options.fetch ?? globalThis.fetch;
    let status = 0;
    let text: string;
    let response: Response;
    try {
      // redirects are not followed: fetch would forward the key header to wherever the Location points
      response = await doFetch(`${this.baseUrl}${endpoint}`, { headers, signal: timeout.signal, redirect: 'manual' });
      status = response.status;
      text = await response.text();
    } catch (err) {
      if (signal?.aborted) throw this.aborted(endpoint, err);
      if (timeout.timedOut) {
        throw this.error('timeout', endpoint, `no complete response within ${this.options.timeoutMs} ms${status ? ` (HTTP ${status} headers received)` : ''}`, { status: status || undefined }, err);
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      throw this.error('network', endpoint, `network error: ${detail}`, { status: status || undefined }, err);
    } finally {
      timeout.dispose();
    }
    if (!response.ok) {
      const info = parseErrorBody(text);
      const failure: CoinGeckoFailure = status === 429 ? 'rate-limited' : 'http-status';
      const location = status >= 300 && status < 400 ? response.headers.get('location') : null;
      const said = location !== null ? `redirect to ${location} not followed` : [info.errorCode !== undefined ? `error_code ${info.errorCode}` : '', info.errorMessage ?? ''].filter(Boolean).join(': ');
      throw this.error(failure, endpoint, `HTTP ${status}${said ? ` (${said})` : ''}`, {
        status,
        errorCode: info.errorCode,
        errorMessage: info.errorMessage,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.clock.now()),
      });
    }
    try {
      return JSON.parse(text);
    } catch {
      const start = text.trim().slice(0, 60);
      throw this.error('invalid-body', endpoint, `HTTP ${status} body is not JSON: ${JSON.stringify(start)}`, { status });
    }
  }

  /** A 2xx body that is not the expected data; an error body sent with status 200 is reported as such. */
  private invalidBody(endpoint: string, body: unknown, problem: string): CoinGeckoError {
    const info = body !== null && typeof body === 'object' && ('status' in body || 'error' in body) ? parseErrorBody(JSON.stringify(body)) : {};
    if (info.errorCode !== undefined || info.errorMessage !== undefined) {
      const said = [info.errorCode !== undefined ? `error_code ${info.errorCode}` : '', info.errorMessage ?? ''].filter(Boolean).join(': ');
      return this.error('invalid-body', endpoint, `error body with a 2xx status (${said})`, { errorCode: info.errorCode, errorMessage: info.errorMessage });
    }
    return this.error('invalid-body', endpoint, `unexpected response: ${problem}`);
  }

  private aborted(endpoint: string, cause: unknown, context?: string, last?: CoinGeckoError): CoinGeckoError {
    return this.error('aborted', endpoint, `aborted${context ? ` ${context}` : ''}`, { status: last?.status, errorCode: last?.errorCode, errorMessage: last?.errorMessage }, last ?? cause);
  }

  /** Builds the error with the key scrubbed from every text, in case a proxy or the API echoes it back. */
  private error(failure: CoinGeckoFailure, endpoint: string, what: string, details: { status?: number; errorCode?: number; errorMessage?: string; retryAfterMs?: number } = {}, cause?: unknown): CoinGeckoError {
    const scrub = (s: string) => (this.keyPattern ? s.replace(this.keyPattern, '[redacted]') : s);
    return new CoinGeckoError(scrub(`CoinGecko GET ${endpoint} failed: ${what}`), { failure, endpoint, ...details, errorMessage: details.errorMessage === undefined ? undefined : scrub(details.errorMessage) }, cause === undefined ? undefined : { cause });
  }
}

/** Matches `key` verbatim, percent-encoded (either case of hex digits), form-encoded and base64-encoded. */
function keyPattern(key: string): RegExp {
  const forms = new Set([key, encodeURIComponent(key), encodeURI(key), new URLSearchParams({ k: key }).toString().slice(2), Buffer.from(key).toString('base64')]);
  const escape = (form: string) => form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%([0-9A-F]{2})/gi, (_m, hex: string) => `%(?:${hex.toUpperCase()}|${hex.toLowerCase()})`);
  return new RegExp([...forms].sort((a, b) => b.length - a.length).map(escape).join('|'), 'g');
}
