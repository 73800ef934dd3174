import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, StoreError } from '../errors.js';
import { type ByteRangeSource, bytesSource, fileSource } from './byte-range-source.js';
import { type FetchStats, type HttpSourceOptions, httpSource } from './http-source.js';

/**
 * Where a store's files live: a local folder, an HTTP(S) prefix, or anything else that can read byte
 * ranges (an S3/GCS bucket prefix). Paths are relative to the store root with `/` separators.
 *
 * @example
 * // An S3 store: list with ListObjectsV2, read with ranged GetObject.
 * const s3Location: StoreLocation = {
 *   url: 's3://bucket/btc',
 *   list: async () => keysUnder('btc/'),
 *   open: async (path) => ({ name: path, byteLength: await sizeOf(path), read: (s, e) => getRange(path, s, e) }),
 * };
 */
export interface StoreLocation {
  /** For messages. */
  readonly url: string;
  /**
   * Every data file (`*.parquet`, skipping names starting with `_` or `.` at any level), or null when
   * the location cannot list (plain HTTP): the store's `_metadata` or `_common_metadata` must name them.
   */
  list(): Promise<string[] | null>;
  /** The file at `path`, or null when it does not exist. */
  open(path: string): Promise<ByteRangeSource | null>;
  /** True when the location is one file, not a folder (summary files next to it are ignored). */
  readonly singleFile?: boolean;
  /** Bytes fetched so far, for remote locations. */
  readonly stats?: FetchStats;
}

function isHidden(name: string): boolean {
  return name.startsWith('_') || name.startsWith('.');
}

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (isHidden(e.name)) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) await walk(root, full, out);
    else if (e.isFile() && e.name.endsWith('.parquet')) out.push(relative(root, full).split(sep).join('/'));
  }
}

/** A local folder (recursive, so Hive `key=value` folders are found) or a single local file. */
export async function localLocation(path: string): Promise<StoreLocation> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw new StoreError(`makeBatchReader: store ${path} does not exist`, path, { cause: err });
  }
  const single = st.isFile();
  const root = single ? dirname(path) : path;
  return {
    url: path,
    singleFile: single,
    async list() {
      if (single) return [basename(path)];
      const out: string[] = [];
      await walk(root, root, out);
      return out;
    },
    async open(rel) {
      const file = join(root, ...rel.split('/'));
      try {
        // Summary files are replaced by rename at every commit: read each in one go, so its size and its
        // bytes come from the same snapshot. Part files never change once committed.
        if (rel === '_metadata' || rel === '_common_metadata') return bytesSource(file, await readFile(file));
        return await fileSource(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
  };
}

/** An HTTP(S) store prefix (or one file URL ending in `.parquet`). It cannot list: see `StoreLocation.list`. */
export function httpLocation(url: string, options: HttpSourceOptions & { files?: readonly string[] } = {}): StoreLocation {
  const stats = options.stats ?? { bytesFetched: 0, requests: 0 };
  const single = /\.parquet$/i.test(new URL(url).pathname);
  const root = single ? url.slice(0, url.lastIndexOf('/') + 1) : url.endsWith('/') ? url : `${url}/`;
  return {
    url,
    stats,
    singleFile: single,
    async list() {
      if (single) return [url.slice(root.length)];
      return options.files ? [...options.files] : null;
    },
    open: (rel) => httpSource(new URL(rel.split('/').map(encodeURIComponent).join('/'), root).href, { ...options, stats }),
  };
}

/** Resolves a store URL (path, `file://`, `http(s)://`) or passes a custom location through. */
export async function resolveLocation(store: string | URL | StoreLocation, http: HttpSourceOptions & { files?: readonly string[] }, caller: string): Promise<StoreLocation> {
  if (typeof store === 'object' && !(store instanceof URL)) return store;
  const s = String(store);
  if (s.startsWith('file://')) return localLocation(fileURLToPath(s));
  if (/^https?:\/\//i.test(s)) return httpLocation(s, http);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    throw new ConfigError(`${caller}: unsupported store URL scheme in ${s}; use a path, file://, http(s)://, or pass a StoreLocation (see README: byte-range sources)`);
  }
  if (s.length === 0) throw new ConfigError(`${caller}: storeUrl must be a non-empty path or URL`);
  return localLocation(s);
}
