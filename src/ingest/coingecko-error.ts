import { TfplError } from '../errors.js';

/**
 * Why a call failed, for logs and for the retry decision:
 * - `http-status`: the API answered with a non-2xx status (see `status`, `errorCode`, `errorMessage`);
 * - `rate-limited`: HTTP 429 (JSON, CDN text `error code: 1015` or HTML);
 * - `timeout`: no complete response within `timeoutMs`;
 * - `network`: connection refused, reset or dropped;
 * - `invalid-body`: a 2xx response whose body is not the documented JSON (malformed, missing fields, wrong types);
 * - `throttled`: the client-side rate limiter had no free slot before the call's deadline (nothing was sent);
 * - `aborted`: the caller's signal fired.
 */
export type CoinGeckoFailure = 'http-status' | 'rate-limited' | 'timeout' | 'network' | 'invalid-body' | 'throttled' | 'aborted';

export interface CoinGeckoErrorDetails {
  failure: CoinGeckoFailure;
  /** Path and query of the request (never carries the API key, which travels in a header). */
  endpoint: string;
  status?: number;
  /** CoinGecko's `error_code` (e.g. 429, 10012) or the CDN's (1015, 1020) when the body had one. */
  errorCode?: number;
  errorMessage?: string;
  /** Delay asked for by a `Retry-After` header, in milliseconds. */
  retryAfterMs?: number;
}

/**
 * A CoinGecko call that failed; `failure` says how, `status`/`errorCode`/`errorMessage` carry what the API said.
 *
 * @example
 * try { await client.marketChartRange({ id: 'bitcoin', vsCurrency: 'usd', from, to }); }
 * catch (err) { if (err instanceof CoinGeckoError && err.errorCode === 10012) console.log('older than 365 days'); }
 */
export class CoinGeckoError extends TfplError {
  readonly failure: CoinGeckoFailure;
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly errorCode: number | undefined;
  readonly errorMessage: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: CoinGeckoErrorDetails, options?: { cause?: unknown }) {
    super('ERR_COINGECKO', message, options);
    this.failure = details.failure;
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** 429, 408, 5xx, timeouts and network errors are worth another attempt; the rest will fail the same way again. */
  get retryable(): boolean {
    if (this.failure === 'rate-limited' || this.failure === 'timeout' || this.failure === 'network') return true;
    return this.failure === 'http-status' && this.status !== undefined && (this.status === 408 || this.status >= 500);
  }
}

/** What an error body said, whichever shape it came in. */
export interface ErrorBodyInfo {
  errorCode?: number;
  errorMessage?: string;
}

const MAX_MESSAGE = 300;

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 3)}...` : flat;
}

function asCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Reads CoinGecko's error bodies in every documented shape:
 * `{"status":{"error_code","error_message"}}`, `{"error":{"status":{…}}}`, `error_code` at top level beside
 * `status.error_message`, `{"error":"text"}`, the CDN's plain text `error code: 1015`, and HTML pages
 * (their `<title>` and any `Error 1015`-style code).
 *
 * @example
 * parseErrorBody('error code: 1015'); // { errorCode: 1015, errorMessage: 'error code: 1015' }
 */
export function parseErrorBody(text: string): ErrorBodyInfo {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  if (trimmed.startsWith('{')) {
    try {
      const body = record(JSON.parse(trimmed));
      if (body) {
        const error = record(body.error);
        const status = record(body.status) ?? record(error?.status) ?? {};
        const errorCode = asCode(status.error_code) ?? asCode(body.error_code) ?? asCode(error?.error_code);
        const message = status.error_message ?? body.error_message ?? (typeof body.error === 'string' ? body.error : undefined) ?? error?.error_message;
        return { errorCode, errorMessage: typeof message === 'string' ? clip(message) : undefined };
      }
    } catch {
      // not JSON after all: fall through to the text forms
    }
  }
  if (/^<(!doctype|html|head|body)/i.test(trimmed) || /<\/html>/i.test(trimmed)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1];
    const code = /error(?:\s+code)?[:\s]+(\d{3,5})/i.exec(trimmed.replace(/<[^>]*>/g, ' '))?.[1];
    return { errorCode: asCode(code), errorMessage: clip(`HTML page${title ? `: ${title}` : ''}`) };
  }
  const code = /^error code:\s*(\d+)/i.exec(trimmed)?.[1];
  return { errorCode: asCode(code), errorMessage: clip(trimmed) };
}

/**
 * Parses a `Retry-After` header (delta-seconds or an HTTP date) into milliseconds from `now`;
 * undefined when absent or unreadable.
 *
 * @example
 * parseRetryAfter('119', Date.now()); // 119000
 */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
