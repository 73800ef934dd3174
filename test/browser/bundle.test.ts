import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { BrowserBundleError, bundleBrowser, PACKAGE_ENTRIES } from '../../scripts/bundle-browser.js';

const root = resolve(import.meta.dirname, '..', '..');

/** What Node's main entry has and the browser's has not: the functions that need local files or a server. */
const NODE_ONLY = ['compactStore', 'fileSource', 'importCsv', 'localLocation', 'materializeDataset', 'serveStore', 'storeRequestHandler', 'writeSummaryFiles'];
const NODE_ONLY_FORECASTING = ['currentModelVersion', 'detectPriceCsvLayout', 'fileSystemHandler', 'forecastLive', 'importPriceCsv', 'loadForecaster', 'registerFileRouter', 'renderSvg', 'saveForecaster', 'saveForecasterVersion', 'svgToPng', 'trainLive', 'trainingProgress', 'writeChart'];

describe('the browser build (scripts/bundle-browser.ts)', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfpl-bundle-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles the package entries with no Node input and no node: import, TensorFlow.js left to the page', async () => {
    const meta = await bundleBrowser({ outdir: join(dir, 'pkg') });
    const inputs = Object.keys(meta.inputs);
    expect(inputs.filter((f) => f.startsWith('src/node/') || f === 'src/platform.ts')).to.deep.equal([]);
    expect(inputs).to.include.members(['src/browser/platform.ts', 'src/browser/web-worker-decode-pool.ts', 'src/portable.ts']);
    const js = Object.keys(meta.outputs).filter((f) => f.endsWith('.js'));
    for (const f of js) {
      const code = readFileSync(join(root, f), 'utf8');
      expect(/\b(?:from|import|require)\s*\(?\s*["']node:/.test(code), f).to.equal(false);
    }
    const externals = new Set(Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)));
    // The SDK's TensorFlow.js is the page's: tfjs-core and tfjs-data, tfjs-layers for the application's entry
    // only, and no backend (a page registers the ones it wants; a bundler would otherwise need them all installed).
    expect([...externals].sort()).to.deep.equal(['@tensorflow/tfjs-core', '@tensorflow/tfjs-data', '@tensorflow/tfjs-layers']);
    /** Every output and external an output loads, statically or on demand. */
    const reached = (out: string, seen = new Set<string>()): Set<string> => {
      for (const i of meta.outputs[out]!.imports) {
        if (seen.has(i.path)) continue;
        seen.add(i.path);
        if (!i.external) reached(i.path, seen);
      }
      return seen;
    };
    const entryOutput = (name: string) => Object.keys(meta.outputs).find((f) => f.endsWith(`/pkg/${name}.js`))!;
    expect([...reached(entryOutput('index'))].filter((p) => p.startsWith('@tensorflow/')).sort()).to.deep.equal(['@tensorflow/tfjs-core', '@tensorflow/tfjs-data']);
    expect([...reached(entryOutput('forecasting'))]).to.include('@tensorflow/tfjs-layers');
    expect(js.map((f) => f.slice(f.indexOf('/pkg/') + 5))).to.include.members(['index.js', 'forecasting.js', 'decode-worker.js']);
    // The decode worker sits beside the chunk that starts it: the pool asks for ./decode-worker.js relative to
    // its own module, so a chunk in another folder would start no worker (and decode on the page's thread).
    const starters = js.filter((f) => readFileSync(join(root, f), 'utf8').includes('./decode-worker.js'));
    expect(starters).to.have.length(1);
    expect(dirname(starters[0]!)).to.equal(dirname(js.find((f) => f.endsWith('/decode-worker.js'))!));
  });

  it('the browser entries export what Node\'s do, less exactly the functions that need local files or a server', async () => {
    const meta = await bundleBrowser({ outdir: join(dir, 'exports') });
    const exportsOf = (name: string) => Object.entries(meta.outputs).find(([f]) => f.endsWith(`/exports/${name}.js`))![1].exports.sort();
    const node = Object.keys(await import('../../src/index.js')).sort();
    expect(exportsOf('index')).to.deep.equal(node.filter((n) => !NODE_ONLY.includes(n)));
    expect(node.filter((n) => NODE_ONLY.includes(n))).to.deep.equal(NODE_ONLY);
    const app = Object.keys(await import('../../src/forecasting/index.js')).sort();
    expect(exportsOf('forecasting')).to.deep.equal(app.filter((n) => !NODE_ONLY_FORECASTING.includes(n)));
    expect(app.filter((n) => NODE_ONLY_FORECASTING.includes(n))).to.deep.equal(NODE_ONLY_FORECASTING);
  });

  it('fails the build, naming the module, when anything in it reaches Node', async () => {
    const entry = join(dir, 'reaches-node.ts');
    writeFileSync(entry, `export { fileSource } from ${JSON.stringify(join(root, 'src/node/file-source.ts'))};\n`);
    const err = await bundleBrowser({ outdir: join(dir, 'bad'), entries: { bad: entry } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(BrowserBundleError);
    expect((err as Error).message).to.match(/node:fs\/promises/);
    // Node's entry given to the browser build becomes its portable twin: it builds, without the Node-only names.
    const twin = join(dir, 'twin.ts');
    writeFileSync(twin, `export * from ${JSON.stringify(join(root, 'src/index.ts'))};\n`);
    const meta = await bundleBrowser({ outdir: join(dir, 'twin'), entries: { twin, 'decode-worker': PACKAGE_ENTRIES['decode-worker'] } });
    const names = Object.entries(meta.outputs).find(([f]) => f.endsWith('/twin/twin.js'))![1].exports;
    expect(names).to.include('makeTfDataset').and.not.include('materializeDataset');
  });
});
