import { z } from 'zod';
import { parseOptions } from '../options.js';
import { ioOptionsShape } from '../store/io-options.js';
import { s3LocationFor } from '../store/resolve-location.js';
import { localWriteTarget } from './local-write-target.js';
import { objectWriteTarget } from './object-write-target.js';
import { localStorePath } from './store-layout.js';
import type { StoreWriteTarget } from './write-target.js';

const { s3, fetch, retry, fetchTimeoutMs } = ioOptionsShape;
/** The I/O options a writer takes: how to reach an `s3://` store (see the read options). */
export const writeIoOptionsSchema = z.object({ s3, fetch, retry, fetchTimeoutMs });
export type WriteIoOptions = z.input<typeof writeIoOptionsSchema>;

/** The write target a store URL names: `s3://bucket/prefix`, or a local path or `file://` URL. */
export async function writeTargetFor(storeUrl: string | URL, caller: string, io: WriteIoOptions = {}): Promise<StoreWriteTarget> {
  const s = String(storeUrl);
  if (/^s3:\/\//i.test(s)) return objectWriteTarget(await s3LocationFor(s, parseOptions(caller, writeIoOptionsSchema, io)));
  return localWriteTarget(localStorePath(storeUrl, caller));
}
