import { ConfigError } from '../errors.js';
import { httpLocation } from './http-location.js';
import type { HttpSourceOptions } from './http-source.js';
import type { StoreLocation, StoreRef } from './store-location.js';
import { storePlatform } from './store-platform.js';

/**
 * Resolves a store reference: `http(s)://` to an HTTP location, a `StoreLocation` as is, and a path or
 * `file://` URL as the platform reads one (Node: a local folder; a browser: a URL relative to the page).
 */
export async function resolveLocation(store: StoreRef, http: HttpSourceOptions & { files?: readonly string[] }, caller: string): Promise<StoreLocation> {
  if (typeof store === 'object' && !(store instanceof URL)) {
    if (store === null || typeof store.open !== 'function' || typeof store.list !== 'function') {
      throw new ConfigError(`${caller}: store must be a path, a file:// or http(s):// URL, or a StoreLocation { url, list(), open() }; received ${store === null ? 'null' : 'an object without list() and open()'}`);
    }
    return store;
  }
  const s = String(store);
  if (/^https?:\/\//i.test(s)) return httpLocation(s, http);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !s.startsWith('file://')) {
    throw new ConfigError(`${caller}: unsupported store URL scheme in ${s}; use a path, file://, http(s)://, or pass a StoreLocation (see README: byte-range sources)`);
  }
  if (s.length === 0) throw new ConfigError(`${caller}: store must be a non-empty path or URL`);
  return storePlatform().pathLocation(s, http, caller);
}
