import { ConfigError } from '../errors.js';
import { affineOf, type NormalizationStats, type NormalizeMethod } from './normalize.js';
import { makeTfDatasetSchema, type MakeTfDatasetOptions, type ResolvedOptions } from './options.js';
import { randomSeed } from './prng.js';
import { scanSource, type SourceFacts } from './source-scan.js';
import { fractionRanges, planSplit, type SplitPlan } from './split.js';
import { WindowDataset } from './tf-dataset.js';
import { countBatches, countWindows, windowGeometry } from './window-plan.js';
import { resolveWindowSource, type WindowSource } from './window-source.js';
import { parseOptions } from './zod-config.js';

const FN = 'makeTfDataset';

function checkRules(o: ResolvedOptions, raw: MakeTfDatasetOptions): { used: string[]; methods: Map<string, NormalizeMethod>; split: SplitPlan } {
  for (const key of ['features', 'targets'] as const) {
    const dup = o[key].find((c, i) => o[key].indexOf(c) !== i);
    if (dup !== undefined) throw new ConfigError(`${FN}: ${key} names column "${dup}" twice; list each column once`);
  }
  const used = [...new Set([...o.features, ...o.targets])];
  if (o.maxGap !== undefined && !o.timestampColumn) throw new ConfigError(`${FN}: maxGap (${o.maxGap}) needs timestampColumn; received timestampColumn undefined`);
  for (const c of o.logReturns) {
    if (!used.includes(c)) throw new ConfigError(`${FN}: logReturns names "${c}", which is neither a feature nor a target; features and targets: ${used.join(', ')}`);
  }
  const methods = new Map<string, NormalizeMethod>();
  for (const c of used) methods.set(c, typeof o.normalize === 'string' ? o.normalize : (o.normalize[c] ?? 'none'));
  if (typeof o.normalize === 'object') {
    for (const c of Object.keys(o.normalize)) {
      if (!used.includes(c)) throw new ConfigError(`${FN}: normalize names "${c}", which is neither a feature nor a target; features and targets: ${used.join(', ')}`);
    }
  }
  if (o.normalization) {
    if (raw.normalize !== undefined) throw new ConfigError(`${FN}: give either normalize or normalization (precomputed statistics carry their method), not both`);
    for (const c of used) {
      const s = o.normalization.columns[c];
      if (!s) throw new ConfigError(`${FN}: normalization has no statistics for column "${c}"; it has: ${Object.keys(o.normalization.columns).join(', ')}`);
      if (s.logReturn !== o.logReturns.includes(c)) throw new ConfigError(`${FN}: normalization of "${c}" has logReturn ${s.logReturn} but logReturns ${o.logReturns.includes(c) ? 'includes' : 'does not include'} it; use the options the statistics were made with`);
      methods.set(c, s.method);
    }
  }
  if (o.resumeFrom && o.seed !== undefined && o.resumeFrom.seed !== o.seed) {
    throw new ConfigError(`${FN}: seed ${o.seed} differs from resumeFrom.seed ${o.resumeFrom.seed}; a resume must keep the seed (omit seed)`);
  }
  return { used, methods, split: planSplit(FN, o.split, o.subset, o.timestampColumn) };
}

/**
 * A `tf.data.Dataset` of sliding windows over a time-ordered source: `{ xs: [batch, windowSize, features],
 * ys: [batch, targets] (horizon 1) or [batch, horizon, targets] }`, ready for `model.fitDataset`. Reads the
 * source once up front (row count, gaps, split ranges, train statistics) when an option needs it, then once
 * per epoch. `source` is a `WindowSource` or a store path/URL (read with the loader's `storeWindowSource`).
 *
 * @example
 * const ds = await makeTfDataset(columnsSource({ unix, close, volume }), {
 *   features: ['close', 'volume'], targets: ['close'], windowSize: 48, timestampColumn: 'unix',
 *   maxGap: 3_600_000, split: { train: 0.8, validation: 0.2 }, normalize: 'zscore', batchSize: 64, shuffle: true, seed: 7,
 * });
 * await model.fitDataset(ds, { epochs: 5 });
 */
export async function makeTfDataset(source: WindowSource | string, options: MakeTfDatasetOptions): Promise<WindowDataset> {
  const o = parseOptions(FN, makeTfDatasetSchema, options);
  const { used, methods, split } = checkRules(o, options);
  const src = await resolveWindowSource(FN, source);
  for (const c of [...used, ...(o.timestampColumn ? [o.timestampColumn] : [])]) {
    if (!src.columns.includes(c)) throw new ConfigError(`${FN}: column "${c}" is not in the source; available: ${src.columns.join(', ')}`);
  }

  const logReturn = new Set(o.logReturns);
  const needStats = !o.normalization && used.some((c) => methods.get(c) !== 'none');
  const needScan = needStats || src.numRows === undefined || o.maxGap !== undefined || split.kind === 'time';
  let facts: SourceFacts;
  if (needScan) {
    facts = await scanSource(src, {
      fn: FN,
      columns: used.map((name) => ({ name, method: methods.get(name)!, logReturn: logReturn.has(name) })),
      timestampColumn: o.maxGap !== undefined || split.kind === 'time' ? o.timestampColumn : undefined,
      maxGap: o.maxGap,
      split,
    });
  } else {
    const numRows = src.numRows!;
    const normalization: NormalizationStats = { version: 1, columns: {} };
    for (const c of used) normalization.columns[c] = { method: 'none', logReturn: logReturn.has(c), count: 0, mean: NaN, std: NaN, min: NaN, max: NaN };
    facts = { numRows, breaks: [], ranges: split.kind === 'fraction' ? fractionRanges(split.fractions, numRows) : { train: { start: 0, end: numRows } }, normalization };
  }
  const normalization = o.normalization ?? facts.normalization;
  if (needStats) {
    const empty = used.find((c) => methods.get(c) !== 'none' && normalization.columns[c]!.count === 0);
    if (empty !== undefined) {
      const r = facts.ranges.train!;
      throw new ConfigError(`${FN}: cannot normalise "${empty}": the train part (rows ${r.start}..${r.end}) has no values for it; widen split.train or use normalize: 'none'`);
    }
  }

  const geom = windowGeometry({ windowSize: o.windowSize, horizon: o.horizon, samplingRate: o.samplingRate, stride: o.stride, lead: o.logReturns.length > 0 ? 1 : 0 });
  const range = facts.ranges[o.subset]!;
  const totalWindows = countWindows(geom, range, facts.breaks);
  const batches = countBatches(totalWindows, o.batchSize, o.dropRemainder);
  if (o.resumeFrom && o.resumeFrom.batchIndex > batches) {
    throw new ConfigError(`${FN}: resumeFrom.batchIndex ${o.resumeFrom.batchIndex} is past the ${batches} batches of an epoch; the state was made with other options or data`);
  }
  const affine = used.map((c) => affineOf(normalization.columns[c]!));
  return new WindowDataset({
    plan: {
      source: src,
      assembler: {
        fn: FN,
        geom,
        columns: used,
        logReturn: Uint8Array.from(used, (c) => (logReturn.has(c) ? 1 : 0)),
        offset: Float64Array.from(affine, (a) => a.offset),
        scale: Float64Array.from(affine, (a) => a.scale),
        featureIdx: Int32Array.from(o.features, (c) => used.indexOf(c)),
        targetIdx: Int32Array.from(o.targets, (c) => used.indexOf(c)),
        timestampColumn: o.maxGap !== undefined ? o.timestampColumn : undefined,
        maxGap: o.maxGap,
        range,
      },
      batchSize: o.batchSize,
      dropRemainder: o.dropRemainder,
      totalWindows,
      shuffleBufferSize: o.shuffle ? o.shuffleBufferSize : 0,
    },
    windowSize: o.windowSize,
    horizon: o.horizon,
    numFeatures: o.features.length,
    numTargets: o.targets.length,
    batches,
    normalization,
    seed: o.resumeFrom?.seed ?? o.seed ?? randomSeed(),
    shuffle: o.shuffle,
    resumeFrom: o.resumeFrom,
  });
}
