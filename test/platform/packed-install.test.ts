import { expect } from 'chai';
import { builtDist } from '../built-dist.js';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; peerDependencies: Record<string, string> };

/** The lowest TensorFlow.js the package claims (its tfjs-core peer range, `^4.N.0`): the app below runs on it. */
const LOWEST_TFJS = /^\^(\d+\.\d+\.\d+)$/.exec(pkg.peerDependencies['@tensorflow/tfjs-core'] ?? '')?.[1];

/** npm, run by the Node that runs this test (npm follows the `node` first on PATH). */
async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };
  try {
    return await run('npm', args, { cwd, env, maxBuffer: 64 * 2 ** 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Every installed copy of `name` under `dir`'s node_modules, as paths relative to `dir`. */
function copiesOf(dir: string, name: string): string[] {
  return (readdirSync(join(dir, 'node_modules'), { recursive: true, encoding: 'utf8' }) as string[])
    .filter((p) => p.split('\\').join('/').endsWith(`${name}/package.json`))
    .map((p) => join('node_modules', dirname(p)).split('\\').join('/'))
    .filter((p) => JSON.parse(readFileSync(join(dir, p, 'package.json'), 'utf8')).name === name)
    .sort();
}

/** What the app runs: a tiny store written and read back through the installed package, one batch taken. */
const APP_SCRIPT = `
import * as tf from '@tensorflow/tfjs';
import { defineSchema, initBackend, makeTfDataset, materializeDataset } from 'tfjs-parquet-loader';

const Prices = defineSchema('Prices', [{ name: 'timestamp', dtype: 'timestamp' }, { name: 'close', dtype: 'float32' }]);
const rows = Array.from({ length: 64 }, (_, i) => ({ timestamp: Date.UTC(2024, 0, 1) + i * 3_600_000, close: 100 + i }));
await materializeDataset('./store', Prices, rows);
const backend = await initBackend();
const ds = await makeTfDataset('./store', { features: ['close'], targets: ['close'], windowSize: 8, batchSize: 4, timestampColumn: 'timestamp' });
const { value } = await (await ds.iterator()).next();
console.log(JSON.stringify({
  tfjs: tf.version.tfjs,
  backend: backend.name,
  appBackend: tf.getBackend(),
  skipped: backend.skipped.map((s) => s.name),
  windows: ds.windowsPerEpoch,
  shape: value.xs.shape,
  first: Array.from(value.xs.dataSync().slice(0, 8)),
}));
`;

const DUPLICATE_TFJS = /already registered|Platform \w+ has already been set/;

describe('the packed package in an application with its own TensorFlow.js', function () {
  // npm pack (which builds dist/), then an install from the npm registry (through npm's cache, as npm ci uses it).
  this.timeout(600_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfpl-app-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`installs beside the app's @tensorflow/tfjs at the lowest claimed version with one tfjs-core, and writes, reads and batches with no duplicate-registration warning`, async () => {
    expect(LOWEST_TFJS, `package.json's @tensorflow/tfjs-core peer range is ^<lowest version>; found ${pkg.peerDependencies['@tensorflow/tfjs-core']}`).to.be.a('string');
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    // What `npm pack` would build (its prepare script): built before the run (npm test builds first), so that its output stays out of pack's JSON.
    builtDist();
    const packed = JSON.parse((await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', packs], root)).stdout) as { filename: string }[];
    const tarball = join(packs, packed[0]!.filename);

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'tfpl-app', private: true, type: 'module', dependencies: { '@tensorflow/tfjs': LOWEST_TFJS, [pkg.name]: `file:${tarball}` } }, null, 2));
    writeFileSync(join(app, 'app.mjs'), APP_SCRIPT);
    const install = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    // A peer range the app's TensorFlow.js does not meet shows here (npm overrides or refuses the peer).
    expect(`${install.stdout}\n${install.stderr}`.split('\n').filter((l) => /ERESOLVE|peer dep/i.test(l)), 'npm install warned about peer dependencies').to.deep.equal([]);

    const cores = copiesOf(app, '@tensorflow/tfjs-core');
    expect(cores, `copies of @tensorflow/tfjs-core in the app: ${cores.join(', ')}`).to.deep.equal(['node_modules/@tensorflow/tfjs-core']);
    expect(JSON.parse(readFileSync(join(app, cores[0]!, 'package.json'), 'utf8')).version).to.equal(LOWEST_TFJS);
    const nested = join(app, 'node_modules', pkg.name, 'node_modules', '@tensorflow');
    expect(existsSync(nested) ? readdirSync(nested) : [], `TensorFlow.js packages nested under ${pkg.name}/node_modules`).to.deep.equal([]);

    const { stdout, stderr } = await run(process.execPath, ['app.mjs'], { cwd: app, maxBuffer: 64 * 2 ** 20 });
    const warnings = `${stdout}\n${stderr}`.split('\n').filter((l) => DUPLICATE_TFJS.test(l));
    expect(warnings.length, `the app printed ${warnings.length} duplicate-TensorFlow.js warnings, first: ${warnings.slice(0, 3).join(' | ')}`).to.equal(0);
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    // The backend the package chose is the app's. (tfjs keeps its engine in a global, so a second copy would
    // share it too, registering every kernel again: the warnings above are what tells two copies apart.) No
    // wasm backend or tfjs-node is installed, so initBackend falls back to cpu.
    expect(result).to.deep.equal({
      tfjs: LOWEST_TFJS,
      backend: 'cpu',
      appBackend: 'cpu',
      skipped: ['tensorflow', 'wasm'],
      windows: 56,
      shape: [4, 8, 1],
      first: [100, 101, 102, 103, 104, 105, 106, 107],
    });
    console.log(`      @tensorflow/tfjs ${LOWEST_TFJS} and ${packed[0]!.filename}: one tfjs-core, no warning, first batch ${result.shape.join('×')}`);
  });
});
