import { httpChangedSince } from './http-changed-since.js';
import { type HttpSourceOptions, httpSource } from './http-source.js';
import { newFetchStats } from './remote-request.js';
import type { StoreLocation } from './store-location.js';

/**
 * An HTTP(S) store prefix (or one file URL ending in `.parquet`). It cannot list: the store's `_metadata`
 * (or Petastorm's file list, or `files`) names the data files.
 *
 * @example
 * const location = httpLocation('https://data.example.com/btc-store', { headers: { authorization: `Bearer ${token}` } });
 */
export function httpLocation(url: string, options: HttpSourceOptions & { files?: readonly string[] } = {}): StoreLocation {
  const stats = options.stats ?? newFetchStats();
  const single = /\.parquet$/i.test(new URL(url).pathname);
  const root = single ? url.slice(0, url.lastIndexOf('/') + 1) : url.endsWith('/') ? url : `${url}/`;
  const urlOf = (rel: string) => new URL(rel.split('/').map(encodeURIComponent).join('/'), root).href;
  return {
    url,
    stats,
    singleFile: single,
    async list() {
      if (single) return [url.slice(root.length)];
      return options.files ? [...options.files] : null;
    },
    open: (rel) => httpSource(urlOf(rel), { ...options, stats }),
    changedSince: (rel, version, signal) => httpChangedSince(urlOf(rel), version, { ...options, stats }, signal),
  };
}
