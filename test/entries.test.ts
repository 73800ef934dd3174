import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');

/** The packages (node_modules/<name>) a fresh Node process loads when it imports `entry` under tsx. */
async function packagesLoadedBy(entry: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tfpl-loads-'));
  try {
    const log = join(dir, 'loaded.txt');
    // A module-loader hook that writes down every module Node loads, as the URL it resolved.
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
       export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`,
    );
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});`);
    await run(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--import', 'tsx', '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(entry).href)});`], { cwd: root });
    const urls = readFileSync(log, 'utf8').trim().split('\n');
    const names = urls.flatMap((u) => {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
      return m ? [m[1]!] : [];
    });
    // tsx and esbuild compile the TypeScript sources for this test; an installed package loads neither.
    return [...new Set(names)].filter((n) => n !== 'tsx' && n !== 'esbuild').sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const APPLICATION_PACKAGES = ['vega', 'vega-lite', '@resvg/resvg-js', 'cli-progress'];

describe('public entries', function () {
  this.timeout(120_000);

  it('importing the main entry loads no charting, PNG or progress-bar package (recorded by a loader hook)', async () => {
    const loaded = await packagesLoadedBy(join(root, 'src', 'index.ts'));
    // The hook does see packages: the SDK's own dependencies are there.
    expect(loaded).to.include.members(['@tensorflow/tfjs-core', '@tensorflow/tfjs-data', 'hyparquet', 'zod', 'apache-arrow', 'parquet-wasm']);
    expect(loaded.filter((p) => APPLICATION_PACKAGES.includes(p) || p.startsWith('vega-'))).to.deep.equal([]);
    // Of TensorFlow.js, the SDK needs the core and tf.data only: not the layers API, nor the package of everything.
    expect(loaded.filter((p) => p.startsWith('@tensorflow/')).sort()).to.deep.equal(['@tensorflow/tfjs-core', '@tensorflow/tfjs-data']);
    console.log(`      main entry loads ${loaded.length} packages: ${loaded.join(', ')}`);
  });

  it('importing the application entry does not load the chart packages either, until a chart is drawn', async () => {
    const loaded = await packagesLoadedBy(join(root, 'src', 'forecasting', 'index.ts'));
    expect(loaded.filter((p) => APPLICATION_PACKAGES.includes(p) || p.startsWith('vega-'))).to.deep.equal([]);
    expect(loaded.filter((p) => p.startsWith('@tensorflow/')).sort()).to.deep.equal(['@tensorflow/tfjs-core', '@tensorflow/tfjs-data', '@tensorflow/tfjs-layers']);
  });

  it('the main entry holds at most 60 runtime values, each documented with an example where it is declared', async () => {
    const entry = await import('../src/index.js');
    const names = Object.keys(entry);
    expect(names.length).to.be.within(30, 60);
    // Each name back to its declaration through the `export { ... } from './x.js'` lines of the entry and of
    // the portable part it re-exports.
    const index = ['index.ts', 'portable.ts'].map((f) => readFileSync(join(root, 'src', f), 'utf8')).join('\n');
    const undocumented: string[] = [];
    for (const name of names) {
      const line = index.split('\n').find((l) => /^export \{/.test(l) && new RegExp(`[{,]\\s*${name}\\s*[,}]`).test(l));
      expect(line, `${name} is exported by name from src/index.ts or src/portable.ts`).to.not.equal(undefined);
      const file = join(root, 'src', /from '\.\/(.+)\.js'/.exec(line!)![1]! + '.ts');
      const source = readFileSync(file, 'utf8');
      const decl = new RegExp(`^export (?:async function|function|class|const|abstract class) ${name}\\b`, 'm').exec(source);
      expect(decl, `${name} is declared in ${file}`).to.not.equal(null);
      const before = source.slice(0, decl!.index).trimEnd();
      const doc = before.endsWith('*/') ? before.slice(before.lastIndexOf('/**')) : '';
      if (!doc.includes('@example')) undocumented.push(`${name} (${file.slice(root.length + 1)})`);
    }
    expect(undocumented).to.deep.equal([]);
  });

  it('package.json exports the three entries, each built to dist/ with declarations, and a browser build of the SDK and the application', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.exports)).to.deep.equal(['.', './ingest', './forecasting', './package.json']);
    for (const [sub, src] of [['.', 'index'], ['./ingest', 'ingest/index'], ['./forecasting', 'forecasting/index']] as const) {
      const { browser, ...node } = pkg.exports[sub];
      expect(node).to.deep.equal({ types: `./dist/${src}.d.ts`, import: `./dist/${src}.js` });
      readFileSync(join(root, 'src', `${src}.ts`)); // the source of each entry exists
      if (sub === './ingest') {
        expect(browser, 'the ingest writes local stores: Node only').to.equal(undefined);
        continue;
      }
      // The browser condition comes first (bundlers take the first condition that matches), built by scripts/bundle-browser.ts.
      expect(Object.keys(pkg.exports[sub])[0]).to.equal('browser');
      const portable = src.replace(/index$/, 'portable');
      expect(browser).to.deep.equal({ types: `./dist/${portable}.d.ts`, default: `./dist/bundle/${sub === '.' ? 'index' : 'forecasting'}.js` });
      readFileSync(join(root, 'src', `${portable}.ts`));
    }
    expect(pkg.scripts.build).to.match(/tsx scripts\/bundle-browser\.ts/);
    // Charts and progress bars are the application's: optional peers, not dependencies of the SDK.
    for (const p of APPLICATION_PACKAGES) {
      expect(pkg.dependencies[p], p).to.equal(undefined);
      expect(pkg.peerDependenciesMeta[p], p).to.deep.equal({ optional: true });
    }
    // TensorFlow.js is the application's: its packages are peers, so the app holds one copy. All are optional
    // peers, tfjs-core and tfjs-data too (which the SDK needs: the first test): npm installs a missing required
    // peer at its newest version, so a fresh install beside an app's older @tensorflow/tfjs put the newest
    // tfjs-core at the top and nested the app's own under @tensorflow/tfjs, two engines again. An optional peer
    // is still held to its range (npm refuses a tfjs-core it does not match). The repository installs them for
    // its tests...
    expect(Object.keys(pkg.dependencies).filter((p) => p.startsWith('@tensorflow/'))).to.deep.equal([]);
    const tfjsPeers = Object.keys(pkg.peerDependencies).filter((p) => p.startsWith('@tensorflow/'));
    expect(tfjsPeers).to.include.members(['@tensorflow/tfjs-core', '@tensorflow/tfjs-data']);
    expect(tfjsPeers.filter((p) => !pkg.peerDependenciesMeta[p]?.optional)).to.deep.equal([]);
    // ...all but tfjs-node, whose install downloads libtensorflow.
    expect(tfjsPeers.filter((p) => p !== '@tensorflow/tfjs-node' && !pkg.devDependencies[p])).to.deep.equal([]);
    expect(dirname(pkg.exports['.'].import)).to.equal('./dist');
  });
});
