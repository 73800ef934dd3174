import { ConfigError } from '../errors.js';
import { httpLocation } from './http-location.js';
import type { HttpSourceOptions } from './http-source.js';
import type { S3Options } from './s3/s3-config.js';
import { s3Location } from './s3/s3-location.js';
import type { StoreLocation, StoreRef } from './store-location.js';
import { storePlatform } from './store-platform.js';

/**
 * Resolves a store reference: `http(s)://` to an HTTP location, a `StoreLocation` as is, and a path or
 * `file://` URL as the platform reads one (Node: a local folder; a browser: a URL relative to the page).
 */
export async function resolveLocation(store: StoreRef, http: HttpSourceOptions & { files?: readonly string[]; s3?: S3Options }, caller: string): Promise<StoreLocation> {
  if (typeof store === 'object' && !(store instanceof URL)) {
    if (store === null || typeof store.open !== 'function' || typeof store.list !== 'function') {
      throw new ConfigError(`${caller}: store must be a path, a file:// or http(s):// URL, or a StoreLocation { url, list(), open() }; received ${store === null ? 'null' : 'an object without list() and open()'}`);
    }
    return store;
  }
  const s = String(store);
  if (/^https?:\/\//i.test(s)) return httpLocation(s, http);
  if (/^s3:\/\//i.test(s)) return s3LocationFor(s, http);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !s.startsWith('file://')) {
    throw new ConfigError(`${caller}: unsupported store URL scheme in ${s}; use a path, file://, http(s)://, s3://, or pass a StoreLocation (see README: byte-range sources)`);
  }
  if (s.length === 0) throw new ConfigError(`${caller}: store must be a non-empty path or URL`);
  return storePlatform().pathLocation(s, http, caller);
}

/** An `s3://` store with the `s3` option over what this platform finds of the AWS configuration (Node: env and ~/.aws). */
export async function s3LocationFor(url: string, io: Omit<HttpSourceOptions, 'stats'> & { s3?: S3Options }) {
  const find = storePlatform().awsSharedConfig;
  const shared = find ? await find(undefined, io.s3?.profile === undefined ? {} : { profile: io.s3.profile }) : null;
  return s3Location(url, {
    shared,
    ...(io.s3 ? { s3: io.s3 } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
    ...(io.retry ? { retry: io.retry } : {}),
    ...(io.fetchTimeoutMs ? { fetchTimeoutMs: io.fetchTimeoutMs } : {}),
  });
}
