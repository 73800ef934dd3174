import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_DIR = dirname(fileURLToPath(import.meta.url));

/** `../shared/data` next to the repository: every fixture, licensed to redistribute or not (CI has it). */
export const SHARED_DATA = resolve(TEST_DIR, '..', '..', 'shared', 'data');

/**
 * `test/fixtures`: the fixtures whose licences allow redistribution (Apache-2.0 parquet-testing files and
 * Petastorm stores, the MIT Coinbase hourly candles, the MIT-licensed recorded CoinGecko responses), with
 * their provenance and licence files, byte-identical to their copies in `../shared/data`.
 */
export const REPO_FIXTURES = join(TEST_DIR, 'fixtures');

function missing(ctx: Mocha.Context, what: string): never {
  if (process.env.CI) throw new Error(`test data missing under CI: ${what}`);
  console.warn(`      skipped: ${what}`);
  ctx.skip();
  throw new Error('unreachable');
}

/**
 * Path of a fixture folder or file: under `../shared/data` when that is beside the repository (a superset),
 * else under `test/fixtures`, else a skip of the calling test naming it (a failure under `CI`, which always
 * has `../shared/data`).
 */
export function sharedData(ctx: Mocha.Context, ...parts: string[]): string {
  for (const root of [SHARED_DATA, REPO_FIXTURES]) {
    const path = join(root, ...parts);
    if (existsSync(path)) return path;
  }
  return missing(ctx, `needs ${join(...parts)}, which test/fixtures does not hold (no licence to redistribute it); put ../shared/data beside the repository`);
}

/**
 * Skips the calling test (fails under `CI`) unless every file `names` exists under `dir`: for fixtures the
 * repository may not redistribute (no licence), which only `../shared/data` holds.
 */
export function needFiles(ctx: Mocha.Context, dir: string, ...names: string[]): void {
  const absent = names.filter((n) => !existsSync(join(dir, n)));
  if (absent.length > 0) missing(ctx, `needs ${absent.join(', ')}, which test/fixtures does not hold (no licence to redistribute it); put ../shared/data beside the repository`);
}
