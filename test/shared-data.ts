import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared/data` next to the repository: read-only fixtures (real prices, API responses, Parquet corpus). */
export const SHARED_DATA = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');

/**
 * Path of a folder under `../shared/data`, or a skip of the calling test when it is absent.
 * Under CI (`CI` set) a missing folder fails instead: CI always has it, so absence is a broken setup.
 */
export function sharedData(ctx: Mocha.Context, ...parts: string[]): string {
  const path = join(SHARED_DATA, ...parts);
  if (existsSync(path)) return path;
  if (process.env.CI) throw new Error(`shared test data missing under CI: ${path}`);
  console.warn(`      skipped: shared test data not found at ${path}`);
  ctx.skip();
  throw new Error('unreachable');
}
