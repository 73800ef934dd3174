import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseOptions } from '../options.js';
import { checkReadRules, readOptionsShape } from '../readers/read-options.js';
import { ioOptionsShape } from '../store/io-options.js';
import { isStore, openStoreFor, type Store } from '../store/open-store.js';
import type { StoreRef } from '../store/store-location.js';
import type { FilterPredicate } from '../readers/row-filter.js';
import { watchStore } from '../store/watch-store.js';
import { checkWindowRules, planDataset } from '../windowing/dataset-plan.js';
import { checkFollowRules, followConfigOf, followKeys } from '../windowing/follow-plan.js';
import type { SplitPlan } from '../windowing/split.js';
import { StoreFollowReader } from '../windowing/store-follow-reader.js';
import { windowOptionsShape } from '../windowing/options.js';
import { randomSeed } from '../windowing/prng.js';
import { windowSourceOf } from '../windowing/store-window-source.js';
import { isWindowSource, type WindowSource } from '../windowing/window-source.js';
import type * as tf from '@tensorflow/tfjs-core';
import { FollowDataset } from './follow-dataset.js';
import { WindowDataset, type WindowInputs } from './window-dataset.js';

/**
 * Options of `makeTfDataset`: the windows (`windowOptionsShape`) and, for a store, how to read it
 * (`readOptionsShape`: I/O, filters, decode threads), forwarded to the reader unchanged. `shardIndex` /
 * `shardCount` split the windows of any source: shards are disjoint and together hold every window.
 */
export const makeTfDatasetOptionsShape = {
  ...readOptionsShape,
  ...windowOptionsShape,
  /**
   * Follow a store that grows: the dataset yields the windows of the store as opened, then those each new
   * commit completes (per series, nothing read twice), until `signal` aborts; `true`, or `{ intervalMs }`, how
   * often a remote store (or a local one whose file events are missed) is looked at. Needs
   * `timestampColumn`; time must advance strictly within a series. Default false.
   */
  follow: z.union([z.boolean(), z.strictObject({ intervalMs: z.number().int().min(10, { error: 'must be at least 10 ms' }).optional() })], { error: 'must be true, false or { intervalMs }' }).default(false),
  /** Ends a following dataset (its iterator returns); other datasets end by themselves. */
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional(),
};
export const makeTfDatasetSchema: z.ZodObject<typeof makeTfDatasetOptionsShape, z.core.$strict> = z.strictObject(makeTfDatasetOptionsShape);

/** Options of `makeTfDataset`; see `windowOptionsShape` and `readOptionsShape` for every field and default. */
export type MakeTfDatasetOptions = z.input<typeof makeTfDatasetSchema>;
type ResolvedOptions = z.output<typeof makeTfDatasetSchema>;


/** Reader options that make no sense with windows, and why. */
const NOT_FOR_WINDOWS: Record<string, string> = {
  shuffleRowGroups: 'reading row groups out of time order without the rows before them would cut windows that span row groups; use shuffle: true, which reads row groups in a random order, each with the rows its first windows need',
  columns: 'the columns read are derived from features, targets and timestampColumn',
  numEpochs: 'every iterator() of the dataset is one epoch; pass epochs to model.fitDataset',
};

/** Options that only a store source reads: the reader's filters and threads, and every I/O option. */
const STORE_ONLY = ['filters', 'workers', 'prefetch', ...Object.keys(ioOptionsShape)];

const FN = 'makeTfDataset';

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
export async function makeTfDataset(source: StoreRef | Store, options: MakeTfDatasetOptions & { follow: true | { intervalMs?: number } }): Promise<FollowDataset>;
export async function makeTfDataset(source: StoreRef | Store | WindowSource, options: MakeTfDatasetOptions & { inputs: NonNullable<MakeTfDatasetOptions['inputs']> }): Promise<WindowDataset<WindowInputs>>;
export async function makeTfDataset(source: StoreRef | Store | WindowSource, options: MakeTfDatasetOptions): Promise<WindowDataset>;
export async function makeTfDataset(source: StoreRef | Store | WindowSource, options: MakeTfDatasetOptions): Promise<WindowDataset<tf.Tensor3D | WindowInputs> | FollowDataset> {
  for (const [key, why] of Object.entries(NOT_FOR_WINDOWS)) {
    if (options && typeof options === 'object' && key in options) throw new ConfigError(`${FN}: option ${key} does not apply to windows: ${why}`);
  }
  const o = parseOptions(FN, makeTfDatasetSchema, options);
  checkReadRules(FN, o);
  const { split } = checkWindowRules(FN, o, options as Record<string, unknown>);
  if (o.follow !== false) return followDataset(source, o, split, options);
  if (o.signal) throw new ConfigError(`${FN}: signal ends a following dataset; pass follow: true, or end an epoch by leaving its loop`);
  if (o.resumeFrom && 'kind' in o.resumeFrom) throw new ConfigError(`${FN}: resumeFrom is the state of a following dataset; pass follow: true (with the options it was made with)`);
  const resumeFrom = o.resumeFrom;
  const src = await windowSourceFor(source, o, options);
  const planned = await planDataset(FN, src, o, options as Record<string, unknown>);
  if (resumeFrom && resumeFrom.batchIndex > planned.batches) {
    throw new ConfigError(`${FN}: resumeFrom.batchIndex ${resumeFrom.batchIndex} is past the ${planned.batches} batches of an epoch; the state was made with other options or data`);
  }
  return new WindowDataset({
    ...planned,
    windowSize: o.windowSize,
    horizon: o.horizon,
    numFeatures: o.features.length,
    numTargets: o.targets.length,
    seed: resumeFrom?.seed ?? o.seed ?? randomSeed(),
    resumeFrom,
  });
}

/** The columns a follow reads: features and targets, the series ids, the timestamp. */
function followColumns(o: ResolvedOptions): string[] {
  return [...new Set([...o.features, ...o.targets, ...o.seriesColumns, o.timestampColumn!])];
}

/**
 * A following dataset over a store: the statistics are those of the store as opened (or given, or those of
 * the state resumed), and the commits come from the store's watch.
 */
async function followDataset(source: StoreRef | Store | WindowSource, o: ResolvedOptions, split: SplitPlan, raw: MakeTfDatasetOptions): Promise<FollowDataset> {
  checkFollowRules(FN, o, split, raw as Record<string, unknown>);
  if (isWindowSource(source)) throw new ConfigError(`${FN}: follow reads a store (path, URL or openStore() result) and watches it for commits; a WindowSource cannot be followed`);
  const resumeFrom = o.resumeFrom && 'kind' in o.resumeFrom ? o.resumeFrom : undefined;
  const store = await openStoreFor(FN, source as StoreRef | Store, o);
  const { shardIndex: _i, shardCount: _n, follow: _f, signal: _s, resumeFrom: _r, ...read } = o;
  let normalization = resumeFrom?.normalization ?? o.normalization;
  if (!normalization) {
    // The statistics of the train part of the store as opened: the windows of later commits keep them.
    const planned = await planDataset(FN, windowSourceOf(FN, store, read), { ...o, shuffle: false, resumeFrom: undefined }, raw as Record<string, unknown>);
    normalization = planned.normalization;
  }
  const keys = followKeys(FN, o);
  const config = followConfigOf(FN, o, split, normalization, keys);
  const reader = new StoreFollowReader(followColumns(o), o.seriesColumns, o.timestampColumn!, { filters: o.filters as FilterPredicate[], workers: o.workers, prefetch: o.prefetch, maxBatchBytes: o.maxBatchBytes, verifyChecksums: o.verifyChecksums });
  const intervalMs = typeof o.follow === 'object' ? o.follow.intervalMs : undefined;
  const commits = watchStore(store, { ...(o.signal ? { signal: o.signal } : {}), ...(intervalMs !== undefined ? { intervalMs } : {}) })[Symbol.asyncIterator]();
  return new FollowDataset({ config, normalization, batchSize: o.batchSize, store, commits, reader, resumeFrom });
}
