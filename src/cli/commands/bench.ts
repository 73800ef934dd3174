import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, EXIT_FAILURE } from '../command.js';

const usage = `Usage: tfpl bench [options]

Benchmarks batch throughput of this SDK against DuckDB and a parsed CSV with the best hand assembly, DuckDB's
columns through the SDK's windowing, two one-tensor-per-window idioms and the decode and memory-copy limits,
each case in its own process, and prints a table of medians and ratios with their targets and spreads.
Runs from a source checkout (the bench is not part of the published package); same as \`npm run bench\`.

Options (all passed on to bench/run.ts):
  --rows N --window N --features N --batch N   sizes (default 10000000, 48, 4, 64)
  --repeats N     timed runs per case (default 3)
  --workers N     DuckDB threads / decode-only workers (default 2)
  --sdk-workers N decode workers of the SDK cases (default: the SDK's default)
  --cases a,b     only these cases (sdk, duckdb, duckdb-sdk, csv-parsed, csv, generator, decode, memcpy,
                  assembly, sdk-w2, decode-w1, sdk-rss-small, sdk-rss-large, fit, materialize, duckdb-copy, idle)
  --json          print the results as JSON on stdout (the table goes to stderr)
  --cache-dir D   where the generated store and CSV are cached (default .cache/bench)
  -h, --help      show this help; \`npm run bench -- --help\` lists every option`;

/** The package root: two levels above cli/ in both src/ (tsx) and dist/ (compiled). */
function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** Where `tsx` resolves from the package root, or undefined when it is not installed (a published install). */
function tsxEntry(root: string): string | undefined {
  try {
    return createRequire(join(root, 'package.json')).resolve('tsx');
  } catch {
    return undefined;
  }
}

const command: Command = {
  name: 'bench',
  summary: 'benchmark batch throughput against tf.data.csv, tf.data.generator and DuckDB (source checkout)',
  usage,
  async run(argv, io) {
    const root = packageRoot();
    const script = join(root, 'bench', 'run.ts');
    if (!existsSync(script) || !tsxEntry(root)) {
      io.stderr.write(
        `tfpl bench: the benchmark runs from a source checkout with dev dependencies: ${existsSync(script) ? 'tsx is not installed' : `${script} is not there`}. ` +
          'Clone the repository, run `npm ci`, then `npm run bench` (or `npx tfpl bench`).\n',
      );
      return EXIT_FAILURE;
    }
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    const code = await new Promise<number>((done) => child.on('close', (c, signal) => done(c ?? (signal ? EXIT_FAILURE : 0))));
    return code;
  },
};

export default command;
