import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const REPO = join(import.meta.dirname, '..');

/**
 * dist/ as `npm test` builds it before mocha starts (its script runs `npm run build` first, once, so the test
 * files that run in parallel never rebuild it under each other). A test file run alone builds it when missing.
 */
export function builtDist(): string {
  if (!existsSync(join(REPO, 'dist', 'index.js')) || !existsSync(join(REPO, 'dist', 'bundle', 'index.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'ignore' });
  return join(REPO, 'dist');
}
