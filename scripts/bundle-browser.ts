/**
 * The browser build: esbuild bundles the platform-neutral SDK with src/browser/platform.ts in place of
 * src/platform.ts, so `fetch`, Web Workers and portable CRC-32 stand where Node's files, worker_threads
 * and zlib are. It fails when anything in the bundle would reach Node: a src/node/ module, the Node seam,
 * or a Node built-in (esbuild's browser platform refuses those, and the metafile is checked again here).
 *
 * `npm run build` writes the package's browser entries to dist/bundle/ (TensorFlow.js external: the
 * application's own copy is used); the demo bundles a page with everything in it.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = (p: string) => join(root, 'src', p);

/** Node-side modules and their browser counterparts. */
const TWINS: Record<string, string> = {
  [src('platform.ts')]: src('browser/platform.ts'),
  [src('index.ts')]: src('portable.ts'),
  [src('forecasting/index.ts')]: src('forecasting/portable.ts'),
};

/** The package's browser entries: its main entry, the application's portable part, and the decode worker (kept beside them). */
export const PACKAGE_ENTRIES = {
  index: src('portable.ts'),
  forecasting: src('forecasting/portable.ts'),
  'decode-worker': src('browser/decode-worker.ts'),
};

/**
 * Packages the package's bundle leaves to the application, so the page and the SDK share one TensorFlow.js:
 * the TensorFlow.js packages package.json names as peer dependencies (the ones the SDK imports).
 */
export const TFJS_PACKAGES: string[] = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> }).peerDependencies).filter((name) => name.startsWith('@tensorflow/'));

/** Where the browser build breaks off: what a bundle must not contain. */
export class BrowserBundleError extends Error {
  override name = 'BrowserBundleError';
}

const browserPlatform: Plugin = {
  name: 'tfpl-browser-platform',
  setup(b) {
    // Imports of the Node seam and the Node entries (from the SDK or from a page's code) resolve to their browser twins.
    b.onResolve({ filter: /^(\.\.?\/|\/)/ }, (args) => {
      const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      return TWINS[target] ? { path: TWINS[target] } : undefined;
    });
    // @foxglove/wasm-zstd's Emscripten glue requires fs and path in its Node branch, which a browser never
    // takes (it checks process.versions.node); its .wasm is inlined (below), so nothing is fetched by path.
    b.onResolve({ filter: /^(fs|path)$/ }, (args) => (/[\\/]@foxglove[\\/]wasm-zstd[\\/]/.test(args.importer) ? { path: args.path, namespace: 'tfpl-empty' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'tfpl-empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Every input of the bundle that is Node's: src/node/, the Node seam, or a Node built-in. */
export function nodeInputsOf(metafile: Metafile): string[] {
  const found = new Set<string>();
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  for (const [path, input] of Object.entries(metafile.inputs)) {
    const abs = resolve(root, path);
    if (abs.startsWith(src('node/')) || abs === src('platform.ts')) found.add(relative(root, abs));
    for (const imp of input.imports) if (builtins.has(imp.path) || imp.path.startsWith('node:')) found.add(`${imp.path} (imported by ${path})`);
  }
  for (const output of Object.values(metafile.outputs)) for (const imp of output.imports) if (builtins.has(imp.path) || imp.path.startsWith('node:')) found.add(imp.path);
  return [...found].sort();
}

export interface BrowserBundleOptions {
  /** Folder written. */
  outdir: string;
  /** Output name → entry file. Default: the package's entries. */
  entries?: Record<string, string>;
  /** Bare imports left to the page (an import map or the application's bundler). Default: TensorFlow.js. */
  external?: string[];
  minify?: boolean;
}

/** Bundles `entries` for browsers into `outdir` as ES modules (shared code in chunks) and returns esbuild's metafile. */
export async function bundleBrowser(options: BrowserBundleOptions): Promise<Metafile> {
  const result = await build({
    entryPoints: options.entries ?? PACKAGE_ENTRIES,
    outdir: options.outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: options.external ?? TFJS_PACKAGES,
    loader: { '.wasm': 'dataurl' },
    plugins: [browserPlatform],
    metafile: true,
    minify: options.minify ?? false,
    // Error classes name themselves from their constructor (ParquetReadError, ConfigError…): minified, they must keep it.
    keepNames: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'silent',
    // Chunks beside the entries: the decode pool's chunk starts ./decode-worker.js relative to itself.
    chunkNames: '[name]-[hash]',
  }).catch((err: { errors?: { text: string; location?: { file: string } | null }[] }) => {
    const why = err.errors?.map((e) => `${e.location?.file ?? ''}: ${e.text}`).join('\n') ?? String(err);
    throw new BrowserBundleError(`the browser build failed:\n${why}`);
  });
  const node = nodeInputsOf(result.metafile);
  if (node.length) throw new BrowserBundleError(`the browser build reaches Node: ${node.join(', ')}; keep Node-only code behind src/platform.ts (src/node/), whose browser twin is src/browser/platform.ts`);
  return result.metafile;
}

/**
 * TensorFlow.js for a page without a bundler: one ES module per TensorFlow.js package the package's bundle
 * imports, plus the CPU backend for the page to register, all sharing one tfjs-core (in a chunk), as an ES
 * module CDN serves them. (The packages' own `*.fesm.js` files do not all load in a browser as they are: the
 * CPU backend's imports `seedrandom` by name.) Each package's module is `<outdir>/<name without @tensorflow/>.js`;
 * the page's import map names them (examples/browser/module.html).
 *
 * @example
 * await bundleTfjsForPage('build/vendor-tfjs'); // tfjs-core.js, tfjs-data.js, tfjs-layers.js, tfjs-backend-cpu.js
 */
export async function bundleTfjsForPage(outdir: string): Promise<void> {
  const names = TFJS_PACKAGES.filter((n) => n !== '@tensorflow/tfjs-node' && n !== '@tensorflow/tfjs-backend-wasm');
  const entries = names.map((name) => ({ in: name, out: name.slice('@tensorflow/'.length) }));
  await build({ entryPoints: entries, outdir, bundle: true, splitting: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, legalComments: 'linked', logLevel: 'silent', absWorkingDir: root }).catch(
    (err: { errors?: { text: string }[] }) => {
      throw new BrowserBundleError(`the TensorFlow.js build for pages failed:\n${err.errors?.map((e) => e.text).join('\n') ?? String(err)}`);
    },
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = join(root, 'dist', 'bundle');
  const meta = await bundleBrowser({ outdir, minify: true });
  const bytes = Object.entries(meta.outputs).filter(([f]) => f.endsWith('.js')).reduce((n, [, o]) => n + o.bytes, 0);
  console.log(`browser build: ${relative(root, outdir)}/ (${Object.keys(meta.outputs).filter((f) => f.endsWith('.js')).length} files, ${(bytes / 1024).toFixed(0)} KiB of JavaScript)`);
}
