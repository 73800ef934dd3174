import * as tf from '@tensorflow/tfjs';
import type { ColumnBatch } from '../../src/schema/columns.js';
import { makeTfDataset, type MakeTfDatasetOptions } from '../../src/index.js';
import { columnsSource, type WindowSource } from '../../src/windowing/window-source.js';

/** Every batch of one pass as plain arrays (tensors disposed), plus shapes. */
export async function collect(ds: tf.data.Dataset<{ xs: tf.Tensor; ys?: tf.Tensor }>, limit = Infinity) {
  const xs: number[][] = [];
  const ys: number[][] = [];
  const xShapes: number[][] = [];
  const yShapes: number[][] = [];
  const it = await ds.iterator();
  for (let k = 0; k < limit; k++) {
    const r = await it.next();
    if (r.done) break;
    xs.push(Array.from(r.value.xs.dataSync()));
    xShapes.push(r.value.xs.shape);
    if (r.value.ys) {
      ys.push(Array.from(r.value.ys.dataSync()));
      yShapes.push(r.value.ys.shape);
    }
    tf.dispose(r.value);
  }
  return { xs, ys, xShapes, yShapes };
}

/** Splits a batch list into per-window rows of `per` numbers each. */
export function windowsOf(batches: number[][], per: number): number[][] {
  const out: number[][] = [];
  for (const b of batches) for (let i = 0; i < b.length; i += per) out.push(b.slice(i, i + per));
  return out;
}

/** Every window of one epoch of `makeTfDataset(source, options)`, as its inputs followed by its targets. */
export async function datasetWindows(source: Parameters<typeof makeTfDataset>[0], options: MakeTfDatasetOptions): Promise<number[][]> {
  const { xs, ys } = await collect(await makeTfDataset(source, options));
  const x = windowsOf(xs, options.windowSize * options.features.length);
  const y = windowsOf(ys, (options.horizon ?? 1) * options.targets.length);
  return x.map((w, k) => [...w, ...y[k]!]);
}

/** Orders windows value by value (to compare sets of windows). */
export const byValue = (a: number[], b: number[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
};

/** A source made of several "files", each read in chunks: windows must cross both kinds of boundary. */
export function partsSource(columns: Record<string, Float64Array>, partRows: number[], chunkRows: number): WindowSource {
  const names = Object.keys(columns);
  const total = columns[names[0]!]!.length;
  const parts: WindowSource[] = [];
  let at = 0;
  for (const rows of [...partRows, Infinity]) {
    if (at >= total) break;
    const end = Math.min(total, at + rows);
    parts.push(columnsSource(Object.fromEntries(names.map((n) => [n, columns[n]!.slice(at, end)])), { chunkRows }));
    at = end;
  }
  return {
    columns: names,
    async *open(wanted: readonly string[]): AsyncGenerator<ColumnBatch> {
      for (const p of parts) yield* p.open(wanted);
    },
  };
}

/** Naive reference: windows by definition, one row at a time, no ring, no shortcuts. */
export function referenceWindows(
  cols: Record<string, ArrayLike<number>>,
  o: {
    features: string[];
    targets: string[];
    windowSize: number;
    horizon?: number;
    stride?: number;
    samplingRate?: number;
    ts?: ArrayLike<number>;
    maxGap?: number;
    range?: [number, number];
    transform?: (col: string, row: number) => number;
    lead?: number;
  },
): { starts: number[]; xs: number[][]; ys: number[][] } {
  const n = cols[o.features[0]!]!.length;
  const H = o.horizon ?? 1;
  const r = o.samplingRate ?? 1;
  const stride = o.stride ?? 1;
  const lead = o.lead ?? 0;
  const [a, b] = o.range ?? [0, n];
  const value = o.transform ?? ((c: string, row: number) => cols[c]![row]!);
  const out = { starts: [] as number[], xs: [] as number[][], ys: [] as number[][] };
  for (let s = a + lead; s + (o.windowSize - 1 + H) * r < b; s += stride) {
    const last = s + (o.windowSize - 1 + H) * r;
    let ok = true;
    if (o.maxGap !== undefined) for (let k = s - lead; k < last; k++) if (o.ts![k + 1]! - o.ts![k]! > o.maxGap) ok = false;
    if (!ok) continue;
    const x: number[] = [];
    for (let w = 0; w < o.windowSize; w++) for (const f of o.features) x.push(Math.fround(value(f, s + w * r)));
    const y: number[] = [];
    for (let h = 1; h <= H; h++) for (const t of o.targets) y.push(Math.fround(value(t, s + (o.windowSize - 1 + h) * r)));
    out.starts.push(s);
    out.xs.push(x);
    out.ys.push(y);
  }
  return out;
}
