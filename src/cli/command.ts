import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes of `tfpl`: 0 ok, 1 the work failed, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Thrown for a bad command line; `main` prints it with the command's usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** One `tfpl <name>` subcommand. `usage` is printed for `--help` and after a usage error. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** `parseArgs` that turns its errors into `UsageError` so they exit 2, not 1. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = true,
): { values: { [K in keyof T]?: T[K] extends { multiple: true } ? string[] : T[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean }; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    return parsed as never;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Parses a flag that must be a positive integer (or undefined when absent). */
export function intFlag(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}; received ${JSON.stringify(value)}`);
  return n;
}

/**
 * A signal that Ctrl-C aborts, saying on stderr what is finished first (`tfpl <name>: interrupted; <finishing>`),
 * for the commands that run until stopped; `release()` stops listening. Use it in a `try … finally`.
 *
 * @example
 * const interrupt = abortOnSigint(io, 'ingest', 'finishing the current write');
 * try { await collect({ signal: interrupt.signal }); } finally { interrupt.release(); }
 */
export function abortOnSigint(io: CliIO, name: string, finishing: string): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    io.stderr.write(`tfpl ${name}: interrupted; ${finishing}\n`);
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

/** `cli-progress`, an optional peer dependency: null when it is not installed (progress is then printed as lines). */
export async function optionalProgressBars(): Promise<typeof import('cli-progress') | null> {
  try {
    return (await import('cli-progress')).default;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw err;
  }
}
