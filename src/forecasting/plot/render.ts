import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { ConfigError } from '../../index.js';
import { CHART_FONT } from './specs.js';

/**
 * vega, vega-lite and resvg are optional peer dependencies, loaded on first use: the SDK's users need not
 * install them, and importing the application does not cost their ~0.3 s.
 */
async function chartPackage<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new ConfigError(`charts need the optional package ${name}, which is not installed; run: npm install vega vega-lite @resvg/resvg-js`, { cause: err });
    }
    throw err;
  }
}

/**
 * A vega-lite spec as SVG, rendered headless: vega-lite compiles it to vega, a vega `View` with the
 * 'none' renderer lays it out and serialises it. No browser, canvas or network.
 *
 * @example
 * const svg = await renderSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: 'line', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([chartPackage('vega', () => import('vega')), chartPackage('vega-lite', () => import('vega-lite'))]);
  const { spec: vgSpec } = compile(spec);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * SVG → PNG with resvg, at `scale` × the SVG's size, on a white background, with system fonts loaded
 * (text would be missing otherwise).
 *
 * @example
 * await writeFile('chart.png', await svgToPng(await renderSvg(spec)));
 */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await chartPackage('@resvg/resvg-js', () => import('@resvg/resvg-js'));
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Paths of one chart written as SVG and PNG. */
export interface ChartFiles {
  name: string;
  svg: string;
  png: string;
}

/**
 * Renders a spec and writes `<dir>/<name>.svg` and `<dir>/<name>.png`.
 *
 * @example
 * const { png } = await writeChart(priceChartSpec(analysis, { label: 'SYNTHETIC' }), 'out/plots', 'price');
 */
export async function writeChart(spec: TopLevelSpec, dir: string, name: string, options: { pngScale?: number } = {}): Promise<ChartFiles> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const svg = await renderSvg(spec);
  const files = { name, svg: join(root, `${name}.svg`), png: join(root, `${name}.png`) };
  await writeFile(files.svg, svg);
  await writeFile(files.png, await svgToPng(svg, options.pngScale));
  return files;
}
