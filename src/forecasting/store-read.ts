import { readOptionsSchema } from '../index.js';

/**
 * How the application reads a store (I/O, filters, decode threads): the SDK's read options, declared once
 * there and forwarded unchanged; one process, so no shards.
 */
export const storeReadShape = readOptionsSchema.omit({ shardIndex: true, shardCount: true }).shape;

/** The read options a caller gave (defaults left to the SDK), to forward unchanged. */
export function readOptionsOf<T extends object>(options: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(storeReadShape)) if ((options as Record<string, unknown>)[k] !== undefined) out[k] = (options as Record<string, unknown>)[k];
  return out;
}
