import type { ChunkCache } from './chunk-cache.js';
import type { HttpSourceOptions } from './http-source.js';
import type { AwsSharedConfig } from './s3/s3-shared-config.js';
import type { StoreLocation } from './store-location.js';

/**
 * What the store stage takes from the platform it runs on. The stage declares it and the platform module of
 * each entry (src/platform.ts in Node, src/browser/platform.ts in a page) installs it once, when the entry
 * is imported: the store never imports Node or browser code, and the platform code imports the store, not
 * the other way round.
 */
export interface StorePlatform {
  /** CRC-32 (ISO-HDLC: zlib's, and Parquet's page CRC) of `bytes`, continuing from `seed`. */
  crc32(bytes: Uint8Array, seed?: number): number;
  /**
   * What a store path (not an http(s):// or s3:// URL) means here: Node reads a local folder or file, a
   * page resolves the path against its own URL. A missing store's error is led by `caller`.
   */
  pathLocation(path: string, http: HttpSourceOptions & { files?: readonly string[] }, caller: string): Promise<StoreLocation>;
  /** A cache of remote bytes in files under `dir`, shared by every process that opens the same folder (Node). */
  openDiskCache?(dir: string, bytes: number): ChunkCache;
  /**
   * What the AWS tools would find here for `s3://` stores: the environment and `~/.aws` (Node). A page has
   * neither: only the `s3` option applies there.
   */
  awsSharedConfig?(env?: Readonly<Record<string, string | undefined>>, options?: { profile?: string }): Promise<AwsSharedConfig>;
}

let installed: StorePlatform | null = null;

/** Installs the platform's store services (called once by the platform module of an entry). */
export function installStorePlatform(platform: StorePlatform): void {
  installed = platform;
}

/** The installed store services; an internal module imported without an entry gets a clear error. */
export function storePlatform(): StorePlatform {
  if (!installed) throw new Error(NOT_INSTALLED);
  return installed;
}

/** The message of a stage used before any entry installed the platform. */
export const NOT_INSTALLED =
  "tfjs-parquet-loader: no platform is installed: import the package's entry ('tfjs-parquet-loader', or its browser build), or its platform module (src/platform.ts), before its internal modules";

/** CRC-32 with the installed platform's implementation (Node: zlib's native kernel; browsers: portable). */
export function crc32(bytes: Uint8Array, seed?: number): number {
  return storePlatform().crc32(bytes, seed);
}
