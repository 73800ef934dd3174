import { NOT_INSTALLED } from '../store/store-platform.js';
import type { FileRangeReader } from './column-cursor-host.js';
import type { DecodePool } from './decode-pool.js';

/**
 * What the readers take from the platform: decode threads (`worker_threads` in Node, Web Workers in a page)
 * and how many to start by default. Installed once by the platform module of an entry (see `StorePlatform`).
 */
export interface DecodePlatform {
  /** `size` threads; `readFile` reads the byte ranges their column cursors ask for. */
  createDecodePool(size: number, readFile: FileRangeReader): DecodePool;
  defaultWorkerCount(): number;
}

let installed: DecodePlatform | null = null;

/** Installs the platform's decode threads (called once by the platform module of an entry). */
export function installDecodePlatform(platform: DecodePlatform): void {
  installed = platform;
}

export function decodePlatform(): DecodePlatform {
  if (!installed) throw new Error(NOT_INSTALLED);
  return installed;
}
