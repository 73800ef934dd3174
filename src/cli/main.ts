import { isTfplError } from '../index.js';
import { type CliIO, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './command.js';

/**
 * Subcommands in the order `tfpl --help` lists them, each loaded on first use (a command's dependencies,
 * such as the charts of `plot`, cost nothing to the others): the core's, the ingest's, the application's.
 */
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  materialize: () => import('./commands/materialize.js'),
  inspect: () => import('./commands/inspect.js'),
  metadata: () => import('./commands/metadata.js'),
  serve: () => import('./commands/serve.js'),
  compact: () => import('./commands/compact.js'),
  bench: () => import('./commands/bench.js'),
  ingest: () => import('./commands/ingest.js'),
  backfill: () => import('./commands/backfill.js'),
  train: () => import('./commands/train.js'),
  predict: () => import('./commands/predict.js'),
  plot: () => import('./commands/plot.js'),
};
const NAMES = Object.keys(COMMANDS);

async function loadCommand(name: string): Promise<Command | undefined> {
  return Object.hasOwn(COMMANDS, name) ? (await COMMANDS[name]!()).default : undefined;
}

async function globalUsage(): Promise<string> {
  const lines = ['Usage: tfpl <command> [options]', '', 'Commands:'];
  for (const name of NAMES) lines.push(`  ${name.padEnd(12)} ${(await loadCommand(name))!.summary}`);
  lines.push('', 'Run `tfpl <command> --help` for the options of one command.');
  return lines.join('\n');
}

/** Runs `tfpl` with `argv` (without node and script) and returns the exit code; never calls process.exit. */
export async function main(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(`${await globalUsage()}\n`);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = await loadCommand(name);
  if (!command) {
    io.stderr.write(`tfpl: unknown command ${JSON.stringify(name)}; valid commands: ${NAMES.join(', ')}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    // By name, not instanceof: a command module may be loaded by another loader instance than this one.
    if (err instanceof UsageError || (err as Error)?.name === 'UsageError') {
      io.stderr.write(`tfpl ${name}: ${(err as Error).message}\n\n${command.usage}\n`);
      return EXIT_USAGE;
    }
    if (isTfplError(err)) {
      io.stderr.write(`tfpl ${name}: ${err.name}: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr.write(`tfpl ${name}: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    return EXIT_FAILURE;
  }
}
