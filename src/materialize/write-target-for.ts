import { localWriteTarget } from './local-write-target.js';
import { localStorePath } from './store-layout.js';
import type { StoreWriteTarget } from './write-target.js';

/** The write target a store URL names: a local path or `file://` URL (object stores: `s3://`). */
export function writeTargetFor(storeUrl: string | URL, caller: string): StoreWriteTarget {
  return localWriteTarget(localStorePath(storeUrl, caller));
}
