import { ConfigError } from '../errors.js';
import { type ChunkCache, MemoryChunkCache } from './chunk-cache.js';
import { storePlatform } from './store-platform.js';

/** One cache per setting in a process, so every store (and every dataset of a store) opened with it shares it. */
const caches = new Map<string, ChunkCache>();

/**
 * The cache of a `cache` option: in memory (`{ bytes }`) or in a folder (`{ dir, bytes }`, where the
 * platform has files). The same setting gives the same cache within a process.
 */
export function chunkCacheFor(option: { bytes: number; dir?: string }, caller: string): ChunkCache {
  const key = option.dir === undefined ? `memory\n${option.bytes}` : `dir\n${option.dir}\n${option.bytes}`;
  let cache = caches.get(key);
  if (cache) return cache;
  if (option.dir === undefined) cache = new MemoryChunkCache(option.bytes);
  else {
    const open = storePlatform().openDiskCache;
    if (!open) throw new ConfigError(`${caller}: cache.dir needs a file system, which this platform does not have; in a browser use cache: { bytes } (memory)`);
    cache = open(option.dir, option.bytes);
  }
  caches.set(key, cache);
  return cache;
}
