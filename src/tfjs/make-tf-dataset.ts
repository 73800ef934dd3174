import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseOptions } from '../options.js';
import { checkReadRules, readOptionsShape } from '../readers/read-options.js';
import { isStore, openStoreFor, type Store } from '../store/open-store.js';
import type { StoreRef } from '../store/store-location.js';
import { affineOf, type NormalizationStats, type NormalizeMethod } from '../windowing/normalize.js';
import { windowOptionsShape } from '../windowing/options.js';
import { randomSeed } from '../windowing/prng.js';
import { scanSource, type SourceFacts } from '../windowing/source-scan.js';
import { fractionRanges, planSplit, type SplitPlan } from '../windowing/split.js';
import { windowSourceOf } from '../windowing/store-window-source.js';
import { countBatches, countWindows, shardOfWindows, windowGeometry } from '../windowing/window-plan.js';
import { isWindowSource, type WindowSource } from '../windowing/window-source.js';
import { WindowDataset } from './window-dataset.js';

/**
 * Options of `makeTfDataset`: the windows (`windowOptionsShape`) and, for a store, how to read it
 * (`readOptionsShape`: I/O, filters, decode threads), forwarded to the reader unchanged. `shardIndex` /
 * `shardCount` split the windows of any source: shards are disjoint and together hold every window.
 */
export const makeTfDatasetOptionsShape = { ...readOptionsShape, ...windowOptionsShape };
export const makeTfDatasetSchema: z.ZodObject<typeof makeTfDatasetOptionsShape, z.core.$strict> = z.strictObject(makeTfDatasetOptionsShape);

/** Options of `makeTfDataset`; see `windowOptionsShape` and `readOptionsShape` for every field and default. */
export type MakeTfDatasetOptions = z.input<typeof makeTfDatasetSchema>;
type ResolvedOptions = z.output<typeof makeTfDatasetSchema>;

/** Reader options that make no sense with windows, and why. */
const NOT_FOR_WINDOWS: Record<string, string> = {
  shuffleRowGroups: 'reading row groups out of time order would cut windows that span row groups; use shuffle: true, which shuffles assembled windows',
  columns: 'the columns read are derived from features, targets and timestampColumn',
  numEpochs: 'every iterator() of the dataset is one epoch; pass epochs to model.fitDataset',
};

/** Options that only a store source reads. */
const STORE_ONLY = ['filters', 'workers', 'prefetch', 'headers', 'fetch', 'files', 'rangeFallback'] as const;

const FN = 'makeTfDataset';

function checkRules(o: ResolvedOptions, raw: MakeTfDatasetOptions): { used: string[]; methods: Map<string, NormalizeMethod>; split: SplitPlan } {
  checkReadRules(FN, o);
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

/** A window source for any source: a `WindowSource` as is, a store through the batch reader with the read options. */
async function windowSourceFor(source: StoreRef | Store | WindowSource, o: ResolvedOptions, raw: MakeTfDatasetOptions): Promise<WindowSource> {
  if (isWindowSource(source)) {
    const given = STORE_ONLY.find((k) => (raw as Record<string, unknown>)[k] !== undefined);
    if (given) throw new ConfigError(`${FN}: ${given} applies to stores; this source is a WindowSource, which delivers its own rows (pass the store instead, or apply ${given} inside the source)`);
    return source;
  }
  if (!isStore(source) && (source === null || (typeof source !== 'string' && typeof source !== 'object'))) {
    throw new ConfigError(`${FN}: source must be a store (path, URL, StoreLocation or openStore() result) or a WindowSource { columns, open() }; received ${source === null ? 'null' : typeof source}`);
  }
  const { shardIndex: _i, shardCount: _n, ...read } = o;
  return windowSourceOf(FN, await openStoreFor(FN, source, o), read);
}

/**
 * A `tf.data.Dataset` of sliding windows over a time-ordered source: `{ xs: [batch, windowSize, features],
 * ys: [batch, targets] (horizon 1) or [batch, horizon, targets] }`, ready for `model.fitDataset`. `source`
 * is a store (path, `http(s)://` URL, `StoreLocation` or `openStore()` result), read with every read option
 * passed through (filters, decode threads, HTTP headers, `fetch`, `files`, `rangeFallback`), or any
 * `WindowSource`. Reads the source once up front (row count, gaps, split ranges, train statistics) when an
 * option needs it, then once per epoch. `shardIndex`/`shardCount` give this process its share of the
 * windows: disjoint from the other shards' and together exactly the unsharded windows; a shard reads
 * only the rows its windows need (plus the first pass, which every shard makes whole).
 *
 * @example
 * const ds = await makeTfDataset('https://data.example.com/btc-store', {
 *   features: ['close', 'volume'], targets: ['close'], windowSize: 48, timestampColumn: 'unix',
 *   maxGap: 3_600_000, split: { train: 0.8, validation: 0.2 }, normalize: 'zscore', batchSize: 64, shuffle: true, seed: 7,
 *   headers: { authorization: `Bearer ${token}` }, shardIndex: rank, shardCount: worldSize,
 * });
 * await model.fitDataset(ds, { epochs: 5 });
 */
export async function makeTfDataset(source: StoreRef | Store | WindowSource, options: MakeTfDatasetOptions): Promise<WindowDataset> {
  for (const [key, why] of Object.entries(NOT_FOR_WINDOWS)) {
    if (options && typeof options === 'object' && key in options) throw new ConfigError(`${FN}: option ${key} does not apply to windows: ${why}`);
  }
  const o = parseOptions(FN, makeTfDatasetSchema, options);
  const { used, methods, split } = checkRules(o, options);
  const src = await windowSourceFor(source, o, options);
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
  const allWindows = countWindows(geom, range, facts.breaks);
  let totalWindows = allWindows;
  let starts: { first: number; last: number } | undefined;
  if (o.shardCount > 1) {
    const shard = shardOfWindows(geom, range, facts.breaks, allWindows, o.shardIndex, o.shardCount);
    if (shard.starts === null) {
      throw new ConfigError(`${FN}: shard ${o.shardIndex} of ${o.shardCount} holds no window: the ${o.subset} part has ${allWindows} window(s); use shardCount <= ${allWindows}`);
    }
    totalWindows = shard.count;
    starts = shard.starts;
  }
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
        starts,
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
