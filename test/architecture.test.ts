import { expect } from 'chai';
import { init, parse } from 'es-module-lexer';
import { transformSync } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

// The layering of the code base, read from the imports themselves: src/ follows the data flow
// (schema → store → materialize / readers → windowing → tfjs adapter), src/platform.ts is the one seam to
// Node, and everything outside the core (the ingest, the application, the CLI, examples, bench) reaches
// the core through its public entries only.

const root = resolve(import.meta.dirname, '..');

type Stage = 'base' | 'schema' | 'platform' | 'store' | 'materialize' | 'readers' | 'windowing' | 'tfjs' | 'main-entry' | 'ingest' | 'forecasting' | 'cli' | 'examples' | 'bench';

/** The stage of a file, by its folder. */
function stageOf(file: string): Stage {
  const rel = relative(root, file).split('\\').join('/');
  if (rel === 'src/index.ts' || rel === 'src/portable.ts') return 'main-entry';
  // The seam and its two twins: Node's (src/node/) and the browser's (src/browser/, bundled in its place).
  if (rel === 'src/platform.ts' || rel.startsWith('src/node/') || rel.startsWith('src/browser/')) return 'platform';
  if (['src/errors.ts', 'src/options.ts', 'src/prng.ts'].includes(rel)) return 'base';
  const [top, folder] = rel.split('/');
  if (top === 'examples' || top === 'bench') return top;
  const stages: Stage[] = ['schema', 'store', 'materialize', 'readers', 'windowing', 'tfjs', 'ingest', 'forecasting', 'cli'];
  if (top === 'src' && stages.includes(folder as Stage)) return folder as Stage;
  throw new Error(`${rel} is in no stage: put it in a stage folder, or give it a stage in test/architecture.test.ts`);
}

/** The package's entries, and the portable part of each that is its browser entry. */
const PUBLIC_ENTRIES = ['src/index.ts', 'src/portable.ts', 'src/ingest/index.ts', 'src/forecasting/index.ts', 'src/forecasting/portable.ts'].map((f) => join(root, f));
const CORE: Stage[] = ['base', 'schema', 'platform', 'store', 'materialize', 'readers', 'windowing', 'tfjs'];

/**
 * Which stages a stage may import from inside src/ (outside the core: only its own files and the public
 * entries). The read path declares what it needs of the platform (`StorePlatform`, `DecodePlatform`,
 * `BackendPlatform`) and never imports the platform code; the platform modules import those stages to
 * install Node's or the browser's implementation, once, when an entry is imported.
 */
const MAY_IMPORT: Record<Stage, Stage[] | 'public entries'> = {
  base: ['base'],
  schema: ['base', 'schema'],
  platform: ['base', 'schema', 'platform', 'store', 'readers', 'tfjs'],
  store: ['base', 'schema', 'store'],
  materialize: ['base', 'schema', 'platform', 'store', 'materialize'],
  readers: ['base', 'schema', 'store', 'readers'],
  windowing: ['base', 'schema', 'store', 'readers', 'windowing'],
  tfjs: ['base', 'schema', 'store', 'readers', 'windowing', 'tfjs'],
  // Node's entry re-exports the portable one (src/index.ts → src/portable.ts).
  'main-entry': [...CORE, 'main-entry'],
  // Part of the SDK package beside the core (it feeds the store, and reads it to resume): the core's
  // modules up to the readers, never the application.
  ingest: ['base', 'schema', 'platform', 'store', 'materialize', 'readers', 'ingest'],
  forecasting: 'public entries',
  cli: 'public entries',
  examples: 'public entries',
  bench: 'public entries',
};

/** The bench is the implementation of `tfpl bench`: it may use the CLI's table formatting and the seeded generator of its data. */
const BENCH_EXTRAS = ['src/cli/format.ts', 'src/prng.ts'].map((f) => join(root, f));

/** Stages whose code runs in a browser build too: no `node:` modules, no Node-only packages. */
const READ_PATH: Stage[] = ['base', 'schema', 'store', 'readers', 'windowing', 'tfjs'];

/** Packages only the application (and the CLI around it) may load. */
const APPLICATION_PACKAGES = ['vega', 'vega-lite', '@resvg/resvg-js', 'cli-progress'];

interface Import {
  from: string;
  specifier: string | undefined;
  typeOnly: boolean;
  dynamic: boolean;
  line: number;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/**
 * Every import of a file: runtime imports (static and dynamic) from the code esbuild compiles it to, read
 * by es-module-lexer, so text inside strings and comments is never taken for an import; type-only imports
 * (which compilation erases) from the source's `import type` / `export type ... from` statements.
 */
function importsOf(file: string): Import[] {
  const source = readFileSync(file, 'utf8');
  const { code } = transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022', tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } } });
  const [imports] = parse(code);
  // Lines are the source's: found by the specifier's text (esbuild's output has other line numbers).
  const sourceLine = (needle: string) => Math.max(1, lineOf(source, Math.max(0, source.indexOf(needle))));
  const out: Import[] = imports
    .filter((i) => i.d !== -2) // import.meta
    .map((i) => ({ from: file, specifier: i.n, typeOnly: false, dynamic: i.d > -1, line: sourceLine(i.n === undefined ? code.slice(i.ss, i.se) : `'${i.n}'`) }));
  for (const m of source.matchAll(/^\s*(?:import|export)\s+type\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm)) {
    out.push({ from: file, specifier: m[1], typeOnly: true, dynamic: false, line: lineOf(source, m.index) });
  }
  return out;
}

/** The file a relative specifier names (`./x.js` is the TypeScript source `./x.ts`). */
function targetOf(imp: Import): string | null {
  const s = imp.specifier;
  if (s === undefined || !s.startsWith('.')) return null;
  return resolve(dirname(imp.from), s.replace(/\.js$/, '.ts'));
}

const where = (imp: Import) => `${relative(root, imp.from)}:${imp.line} imports ${JSON.stringify(imp.specifier)}`;

describe('architecture: the imports hold the layering', () => {
  let files: string[];
  let all: Import[];
  before(async () => {
    await init;
    files = ['src', 'examples', 'bench'].flatMap((d) => filesUnder(join(root, d)));
    all = files.flatMap(importsOf);
  });

  it('reads the imports of every file of src/, examples/ and bench/ (static, dynamic and type-only)', () => {
    expect(files.length).to.be.greaterThan(100);
    for (const f of files) stageOf(f); // every file has a stage
    // A sample the scanner must see, one of each kind.
    expect(all.some((i) => i.from.endsWith('src/cli/main.ts') && i.dynamic && i.specifier === './commands/train.js')).to.equal(true);
    expect(all.some((i) => i.from.endsWith('src/readers/row-group-loader.ts') && i.typeOnly && i.specifier === './decode-pool.js')).to.equal(true);
    expect(all.some((i) => i.from.endsWith('src/tfjs/make-tf-dataset.ts') && !i.typeOnly && i.specifier === '../windowing/store-window-source.js')).to.equal(true);
  });

  it('has no computed import paths: every import() names its module literally', () => {
    const computed = all.filter((i) => i.specifier === undefined).map(where);
    expect(computed).to.deep.equal([]);
  });

  it('every import inside src/, examples/ and bench/ goes from a stage to one it may use', () => {
    const bad: string[] = [];
    for (const imp of all) {
      const target = targetOf(imp);
      if (!target || !target.startsWith(join(root, 'src'))) continue;
      const from = stageOf(imp.from);
      const to = stageOf(target);
      if (from === to && to !== 'main-entry') continue;
      const rule = MAY_IMPORT[from];
      const ok = rule === 'public entries' ? PUBLIC_ENTRIES.includes(target) || (from === 'bench' && BENCH_EXTRAS.includes(target)) : rule.includes(to);
      if (!ok) bad.push(`${where(imp)} (${from} → ${to})`);
    }
    expect(bad).to.deep.equal([]);
  });

  it('src/ has no import cycle (runtime and type-only imports alike): the platform is installed by the entries, never imported back', () => {
    const edges = new Map<string, Set<string>>();
    for (const imp of all) {
      const target = targetOf(imp);
      if (!target || !imp.from.startsWith(join(root, 'src')) || !target.startsWith(join(root, 'src'))) continue;
      let out = edges.get(imp.from);
      if (!out) edges.set(imp.from, (out = new Set()));
      out.add(target);
    }
    // Depth-first search; a grey node reached again closes a cycle, reported as its files in order.
    const state = new Map<string, 'grey' | 'black'>();
    const path: string[] = [];
    const cycles: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'grey');
      path.push(f);
      for (const t of edges.get(f) ?? []) {
        if (state.get(t) === 'grey') cycles.push(path.slice(path.indexOf(t)).concat(t).map((x) => relative(root, x)).join(' → '));
        else if (!state.has(t)) visit(t);
      }
      path.pop();
      state.set(f, 'black');
    };
    for (const f of edges.keys()) if (!state.has(f)) visit(f);
    expect(cycles).to.deep.equal([]);
  });

  it('the core imports no application, ingest or CLI module, and no charting or progress-bar package', () => {
    const bad = all
      .filter((i) => CORE.includes(stageOf(i.from)) || stageOf(i.from) === 'main-entry')
      .filter((i) => {
        const target = targetOf(i);
        if (target) return target.startsWith(join(root, 'src')) && !CORE.includes(stageOf(target)) && stageOf(target) !== 'main-entry';
        return i.specifier !== undefined && APPLICATION_PACKAGES.some((p) => i.specifier === p || i.specifier!.startsWith(`${p}/`));
      })
      .map(where);
    expect(bad).to.deep.equal([]);
  });

  it('Node-only modules are used behind the platform seam only: the read path imports no node: module', () => {
    const builtins = new Set(builtinModules);
    const isNodeBuiltin = (s: string | undefined) => s !== undefined && (s.startsWith('node:') || builtins.has(s.split('/')[0]!));
    const bad = all.filter((i) => READ_PATH.includes(stageOf(i.from)) && !i.typeOnly && isNodeBuiltin(i.specifier)).map(where);
    expect(bad).to.deep.equal([]);
    // ...and reaches src/node/ only through src/platform.ts.
    const around = all
      .filter((i) => READ_PATH.includes(stageOf(i.from)))
      .filter((i) => targetOf(i)?.startsWith(join(root, 'src', 'node')))
      .map(where);
    expect(around).to.deep.equal([]);
    // The browser's twin of the seam is all browser: no node: module, nothing of Node's twin.
    const browser = all
      .filter((i) => i.from.startsWith(join(root, 'src', 'browser')) && !i.typeOnly)
      .filter((i) => isNodeBuiltin(i.specifier) || targetOf(i)?.startsWith(join(root, 'src', 'node')) || targetOf(i) === join(root, 'src', 'platform.ts'))
      .map(where);
    expect(browser).to.deep.equal([]);
  });
});
