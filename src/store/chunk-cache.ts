/**
 * Byte ranges of remote files kept for later reads (column chunks and footers), keyed by URL, version and
 * range. `get` hands out bytes the caller may keep and transfer (a copy where the cache keeps its own).
 */
export interface ChunkCache {
  /** What `cache` option made it, for messages. */
  readonly description: string;
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keeps a copy of `bytes` (the caller may transfer its own afterwards); bytes larger than the cache are not kept. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** What it holds now and what it did so far. */
  readonly stats: ChunkCacheStats;
}

/** Counters of a cache (shared by every store that uses it). */
export interface ChunkCacheStats {
  hits: number;
  misses: number;
  /** Bytes served from the cache. */
  bytesServed: number;
  /** Entries dropped because their checksum no longer matched (fetched again). */
  damaged: number;
  /** Bytes held right now (for a disk cache: as this process last counted them). */
  bytesHeld: number;
}

/** The key of bytes [start, end) of a file at a version. */
export function chunkKey(url: string, version: string, start: number, end: number): string {
  return `${url}\n${version}\n${start}-${end}`;
}

function newStats(): ChunkCacheStats {
  return { hits: 0, misses: 0, bytesServed: 0, damaged: 0, bytesHeld: 0 };
}

/**
 * An LRU cache in memory, bounded in bytes. A Map keeps insertion order, so re-inserting on every hit makes
 * its first key the least recently used.
 *
 * @example
 * const cache = new MemoryChunkCache(256 * 2 ** 20);
 */
export class MemoryChunkCache implements ChunkCache {
  readonly description: string;
  readonly stats = newStats();
  readonly #limit: number;
  readonly #entries = new Map<string, Uint8Array>();

  constructor(bytes: number) {
    this.#limit = bytes;
    this.description = `memory cache of ${bytes} bytes`;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = this.#entries.get(key);
    if (!hit) {
      this.stats.misses++;
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    this.stats.hits++;
    this.stats.bytesServed += hit.length;
    // A copy: the caller may transfer its bytes to a decode thread, which would empty ours.
    return hit.slice();
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    if (bytes.length > this.#limit) return;
    const old = this.#entries.get(key);
    if (old) {
      this.#entries.delete(key);
      this.stats.bytesHeld -= old.length;
    }
    this.#entries.set(key, bytes.slice());
    this.stats.bytesHeld += bytes.length;
    for (const [k, v] of this.#entries) {
      if (this.stats.bytesHeld <= this.#limit) break;
      this.#entries.delete(k);
      this.stats.bytesHeld -= v.length;
    }
  }
}
