import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** Runs `tfpl` in-process with captured output. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: '', stderr: '' };
  out.on('data', (c) => (chunks.stdout += c));
  err.on('data', (c) => (chunks.stderr += c));
  const code = await main(argv, { stdout: out, stderr: err, env });
  return { code, ...chunks };
}
