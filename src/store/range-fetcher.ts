import type { ByteRangeSource } from './byte-range-source.js';
import { type ChunkCache, chunkKey } from './chunk-cache.js';
import type { FetchStats } from './remote-request.js';

/** Bytes [start, end) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Fetched bytes covering one or more of the ranges asked for (each asked range lies inside one piece). */
export interface FetchedPiece extends ByteRange {
  bytes: Uint8Array;
}

export interface RangeFetcherOptions {
  /** Where fetched ranges are kept and looked up first; null: no cache. */
  cache: ChunkCache | null;
  /** Requests in flight at once, over every file of the store. */
  maxRequests: number;
  /** The largest request: a longer range is fetched in pieces of this size, in parallel. */
  maxRequestBytes: number;
  /** Ranges at most this far apart go in one request (the bytes between are read and dropped). */
  gapBytes: number;
  /** The store's counters (remote stores): bytes served by the cache are added to `bytesFromCache`. */
  stats?: FetchStats;
}

/** Request sizes and gaps of `RangeFetcher` by default: what object stores serve fastest (DuckDB's and Arrow's choices). */
export const DEFAULT_MAX_REQUEST_BYTES = 8 * 2 ** 20;
export const DEFAULT_GAP_BYTES = 8 * 2 ** 10;

/** A counting semaphore whose waiters are served in the order they came (earlier row groups first). */
class RequestSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/**
 * Reads byte ranges of one store's files the way a remote store wants them read: from the cache when it has
 * them; the rest coalesced (adjacent column chunks of a row group in one request), long ranges cut into
 * pieces fetched in parallel, and at most `maxRequests` requests in flight for the whole store, served in
 * the order asked. Each range fetched is put in the cache on its own, so a later read of other columns of
 * the same row group finds the ones it shares.
 *
 * @example
 * const pieces = await fetcher.read(source, [{ start: 4, end: 9_000 }, { start: 9_000, end: 20_000 }]);
 */
export class RangeFetcher {
  readonly #o: RangeFetcherOptions;
  readonly #slots: RequestSlots;

  constructor(options: RangeFetcherOptions) {
    this.#o = options;
    this.#slots = new RequestSlots(options.maxRequests);
  }

  get cache(): ChunkCache | null {
    return this.#o.cache;
  }

  /**
   * The pieces holding `ranges` of `source` (in no particular order). A request still waiting for its slot
   * when `signal` aborts is not sent (a reader that stopped early leaves no read-ahead behind).
   */
  async read(source: ByteRangeSource, ranges: readonly ByteRange[], signal?: AbortSignal): Promise<FetchedPiece[]> {
    const cache = source.version === undefined ? null : this.#o.cache;
    const pieces: FetchedPiece[] = [];
    const misses: ByteRange[] = [];
    const seen = new Set<string>();
    for (const r of ranges) {
      const id = `${r.start}-${r.end}`;
      if (r.end <= r.start || seen.has(id)) continue;
      seen.add(id);
      const hit = cache ? await cache.get(chunkKey(source.name, source.version!, r.start, r.end)) : undefined;
      if (hit) {
        pieces.push({ start: r.start, end: r.end, bytes: hit });
        if (this.#o.stats) this.#o.stats.bytesFromCache += hit.length;
      }
      else misses.push(r);
    }
    const requests = this.#coalesce(misses);
    const fetched = await Promise.all(requests.map((req) => this.#fetch(source, req, signal)));
    for (let i = 0; i < requests.length; i++) {
      const req = requests[i]!;
      const bytes = fetched[i]!;
      pieces.push({ start: req.start, end: req.end, bytes });
      if (cache) for (const r of req.ranges) await cache.put(chunkKey(source.name, source.version!, r.start, r.end), bytes.subarray(r.start - req.start, r.end - req.start));
    }
    return pieces;
  }

  /** `source` with every read going through `read` (the cache, the request slots): for footers and summary files. */
  source(source: ByteRangeSource): ByteRangeSource {
    return {
      name: source.name,
      byteLength: source.byteLength,
      version: source.version,
      read: async (start, end) => {
        const [piece] = await this.read(source, [{ start, end }]);
        return piece ? piece.bytes.subarray(start - piece.start, end - piece.start) : new Uint8Array(0);
      },
    };
  }

  /** Misses in file order, merged where they are close and the merged request stays within `maxRequestBytes`. */
  #coalesce(misses: ByteRange[]): (ByteRange & { ranges: ByteRange[] })[] {
    const sorted = [...misses].sort((a, b) => a.start - b.start || a.end - b.end);
    const out: (ByteRange & { ranges: ByteRange[] })[] = [];
    for (const r of sorted) {
      const last = out[out.length - 1];
      if (last && r.start - last.end <= this.#o.gapBytes && Math.max(last.end, r.end) - last.start <= this.#o.maxRequestBytes) {
        last.end = Math.max(last.end, r.end);
        last.ranges.push(r);
      } else out.push({ start: r.start, end: r.end, ranges: [r] });
    }
    return out;
  }

  /** One coalesced range: one request, or pieces of `maxRequestBytes` in parallel joined into one buffer. */
  async #fetch(source: ByteRangeSource, req: ByteRange, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const size = this.#o.maxRequestBytes;
    if (req.end - req.start <= size) return this.#request(source, req.start, req.end, signal);
    const parts: Promise<Uint8Array>[] = [];
    for (let s = req.start; s < req.end; s += size) parts.push(this.#request(source, s, Math.min(req.end, s + size), signal));
    const out = new Uint8Array(req.end - req.start);
    let at = 0;
    for (const p of await Promise.all(parts)) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  async #request(source: ByteRangeSource, start: number, end: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    await this.#slots.acquire();
    try {
      signal?.throwIfAborted();
      return await source.read(start, end);
    } finally {
      this.#slots.release();
    }
  }
}
