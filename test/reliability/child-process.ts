import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the child scripts the reliability tests run and kill. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const REPO = join(FIXTURES, '..', '..', '..');
// Inside node_modules so the bundle's bare imports (parquet-wasm, hyparquet, ...) resolve to the repo's packages.
const BUNDLE_DIR = join(REPO, 'node_modules', '.cache', 'tfpl-reliability');

const bundles = new Map<string, Promise<string[]>>();
const made: string[] = [];
process.once('exit', () => {
  for (const f of made) rmSync(f, { force: true });
});

/**
 * The node arguments that run `script`: a one-file bundle of it, of the source it imports and of most
 * packages, built once per run with esbuild (a dev dependency; a child then starts in ~0.3 s instead of
 * ~0.7 s under the tsx loader, which matters over hundreds of kill trials).
 */
function nodeArgsFor(script: string): Promise<string[]> {
  let args = bundles.get(script);
  if (!args) {
    args = (async () => {
      const entry = join(FIXTURES, script);
      const esbuild = await import('esbuild');
      mkdirSync(BUNDLE_DIR, { recursive: true });
      const outfile = join(BUNDLE_DIR, `${basename(script, '.ts')}-${process.pid}.mjs`);
      // Packages are bundled too (apache-arrow alone is hundreds of files to resolve: ~0.2 s of each start),
      // except those that load files beside their own modules (WebAssembly binaries) and the heavy ones a
      // child never reaches; CommonJS inside gets a real `require`.
      await esbuild.build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        external: ['parquet-wasm', '@foxglove/wasm-zstd', '@foxglove/wasm-zstd/*', '@duckdb/*', '@tensorflow/*', 'hyparquet-compressors'],
        banner: { js: "import { createRequire as __tfplRequire } from 'node:module'; const require = __tfplRequire(import.meta.url);" },
        logLevel: 'error',
      });
      made.push(outfile);
      return [outfile];
    })();
    bundles.set(script, args);
  }
  return args;
}

/** How a child ended: its exit code, or the signal that killed it. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A TypeScript child script run in its own node process, its stdout split into lines as they arrive, so a test
 * can wait for a progress marker and then kill the process at that point.
 */
export class ScriptChild {
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<ChildExit>;
  private readonly proc: ChildProcess;
  private waiters: { test: (line: string) => boolean; resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  private partial = '';

  /**
   * Starts `script` (a file in fixtures/) with `args`; `env` is added to this process's environment.
   * `bundle: false` runs it under tsx instead of as a bundle: needed when the code under test resolves files
   * next to its own modules (the loader's decode workers).
   */
  static async start(script: string, args: string[], env: NodeJS.ProcessEnv = {}, options: { bundle?: boolean } = {}): Promise<ScriptChild> {
    const nodeArgs = options.bundle === false ? ['--import', 'tsx', join(FIXTURES, script)] : await nodeArgsFor(script);
    return new ScriptChild(script, nodeArgs, args, env);
  }

  private constructor(script: string, nodeArgs: string[], args: string[], env: NodeJS.ProcessEnv) {
    this.proc = spawn(process.execPath, [...nodeArgs, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) this.onLine(line);
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        if (this.partial) this.onLine(this.partial);
        for (const w of this.waiters) w.reject(new Error(`child ${script} ended (code ${code}, signal ${signal}) before the expected line; stderr: ${this.stderr.slice(-2000)}`));
        this.waiters = [];
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves with the first line (already seen or future) that passes `test`; rejects if the child ends first. */
  waitForLine(test: (line: string) => boolean): Promise<string> {
    const seen = this.lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.reject(new Error(`child already ended; stderr: ${this.stderr.slice(-2000)}`));
    return new Promise((resolve, reject) => this.waiters.push({ test, resolve, reject }));
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
  }

  private onLine(line: string): void {
    this.lines.push(line);
    const hit = this.waiters.filter((w) => w.test(line));
    this.waiters = this.waiters.filter((w) => !w.test(line));
    for (const w of hit) w.resolve(line);
  }
}
