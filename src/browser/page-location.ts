import { ConfigError } from '../errors.js';
import { httpLocation } from '../store/http-location.js';
import type { HttpSourceOptions } from '../store/http-source.js';
import type { StoreLocation } from '../store/store-location.js';

/**
 * What a store path means in a page or worker (the platform seam's `pathLocation`): a URL relative to the
 * document (`'store/'`, `'/data/btc'`), read with `fetch` like an absolute `http(s)://` one. `file://`
 * cannot be read from a page.
 */
export async function pathLocation(path: string, http: HttpSourceOptions & { files?: readonly string[] }, caller: string): Promise<StoreLocation> {
  const base = (globalThis as { document?: { baseURI?: string }; location?: { href?: string } }).document?.baseURI ?? (globalThis as { location?: { href?: string } }).location?.href;
  if (path.startsWith('file://') || !base) {
    throw new ConfigError(`${caller}: a browser reads stores over HTTP; ${path} is not an http(s):// URL${base ? '' : ' and there is no page URL to resolve it against'}. Serve the store with \`tfpl serve <store>\` and pass its URL`);
  }
  const url = new URL(path, base);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${caller}: ${path} resolves to ${url.href}, which is not an http(s):// URL; pass the store's http(s):// URL`);
  return httpLocation(url.href, http);
}
