import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

/**
 * One scripted answer of the replay server:
 * - `{ status?, headers?, body }`: a normal response (status 200 and JSON content type by default);
 * - `{ fault: 'hang' }`: headers and half a body, then nothing (a response that never ends);
 * - `{ fault: 'silent' }`: no bytes at all;
 * - `{ fault: 'drop' }`: the connection is destroyed before any response.
 */
export type ReplayStep =
  | { status?: number; headers?: Record<string, string>; body: string }
  | { fault: 'hang' | 'silent' | 'drop' };

/** Answers a request that no queued step is waiting for. */
export type ReplayHandler = (url: URL, req: IncomingMessage) => ReplayStep;

export interface RecordedRequest {
  method: string;
  /** Path and query exactly as the client sent them. */
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * A real HTTP server on 127.0.0.1 (ephemeral port) that replays recorded CoinGecko bodies and injects faults.
 * Per pathname, queued steps are served first (one per request, in order), then the route's handler.
 */
export class ReplayServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queues = new Map<string, ReplayStep[]>();
  private readonly routes = new Map<string, ReplayHandler>();
  private readonly sockets = new Set<Socket>();
  private server = createServer((req, res) => this.answer(req, res));
  private port = 0;

  static async start(): Promise<ReplayServer> {
    const s = new ReplayServer();
    s.server.on('connection', (socket) => {
      s.sockets.add(socket);
      socket.on('close', () => s.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  /** Base URL to give `CoinGeckoClient({ baseUrl })`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/api/v3`;
  }

  queue(pathname: string, ...steps: ReplayStep[]): this {
    const full = `/api/v3${pathname}`;
    this.queues.set(full, [...(this.queues.get(full) ?? []), ...steps]);
    return this;
  }

  route(pathname: string, handler: ReplayHandler): this {
    this.routes.set(`/api/v3${pathname}`, handler);
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const step = this.queues.get(url.pathname)?.shift() ?? this.routes.get(url.pathname)?.(url, req) ?? { status: 404, body: '{"error":"Not Found"}' };
    if ('fault' in step) {
      if (step.fault === 'drop') req.socket.destroy();
      if (step.fault === 'hang') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"bitcoin":{"usd":');
      }
      return;
    }
    res.writeHead(step.status ?? 200, { 'content-type': 'application/json; charset=utf-8', ...step.headers });
    res.end(step.body);
  }
}

/** Reads a recorded response body from `../shared/data/coingecko/<relPath>`. */
export function recorded(dir: string, relPath: string): string {
  return readFileSync(join(dir, relPath), 'utf8');
}

export const SIMPLE_PRICE_FILE = 'simple_price/docs-example_bitcoin_usd_include-mcap-vol-change-lastupdated.json';

/** The recorded `/simple/price` body, with `last_updated_at` (and other bitcoin fields) replaced. */
export function simplePriceBody(dir: string, changes: Record<string, unknown> = {}, remove: string[] = []): string {
  const body = JSON.parse(recorded(dir, SIMPLE_PRICE_FILE)) as { bitcoin: Record<string, unknown> };
  Object.assign(body.bitcoin, changes);
  for (const key of remove) delete body.bitcoin[key];
  return JSON.stringify(body);
}

type Series = Array<[number, number]>;

/**
 * A `/coins/{id}/market_chart/range` handler over one recorded response: returns the recorded points whose
 * timestamps lie within the request's `from`..`to` (UNIX seconds), as CoinGecko does.
 */
export function rangeHandler(body: { prices: Series; market_caps: Series; total_volumes: Series }): ReplayHandler {
  return (url) => {
    const from = Number(url.searchParams.get('from')) * 1000;
    const to = Number(url.searchParams.get('to')) * 1000;
    const pick = (s: Series) => s.filter(([t]) => t >= from && t <= to);
    return { body: JSON.stringify({ prices: pick(body.prices), market_caps: pick(body.market_caps), total_volumes: pick(body.total_volumes) }) };
  };
}

/** A clock whose `sleep` advances time at once and records every wait. */
export class FakeClock {
  readonly sleeps: number[] = [];
  constructor(public t: number) {}
  now = (): number => this.t;
  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    if (ms > 0) this.t += ms;
  };
}
