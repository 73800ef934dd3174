import { ConfigError } from '../errors.js';
import { mulberry32 } from '../prng.js';

/** What the plan needs to know of a row group. */
export interface PlannableRowGroup {
  ordinal: number;
  numRows: number;
}

export interface RowGroupPlanOptions {
  shardIndex: number;
  shardCount: number;
  shuffleRowGroups: boolean;
  seed: number;
}

/**
 * Splits row groups into `shardCount` shards, greedily by row count: largest first, each to the shard with
 * the fewest rows so far (ties: lowest shard index). Guarantee: every row group is in exactly one shard, and
 * the row counts of any two shards differ by at most the row count of the largest row group (the last row
 * group added to the fullest shard went to it when it was the emptiest). Each shard keeps store order.
 */
export function assignShards<T extends PlannableRowGroup>(rowGroups: readonly T[], shardCount: number): T[][] {
  if (rowGroups.length < shardCount) {
    throw new ConfigError(`shardCount ${shardCount} exceeds the ${rowGroups.length} row group(s) left to read; use shardCount <= ${rowGroups.length} or write the store with a smaller rowGroupSize`);
  }
  const shards: T[][] = Array.from({ length: shardCount }, () => []);
  const rows = new Array<number>(shardCount).fill(0);
  const bySize = [...rowGroups].sort((a, b) => b.numRows - a.numRows || a.ordinal - b.ordinal);
  for (const rg of bySize) {
    let best = 0;
    for (let s = 1; s < shardCount; s++) if (rows[s]! < rows[best]!) best = s;
    shards[best]!.push(rg);
    rows[best]! += rg.numRows;
  }
  for (const s of shards) s.sort((a, b) => a.ordinal - b.ordinal);
  return shards;
}

/** The seed of epoch `epoch`'s shuffle: distinct per epoch, reproducible from `seed`. */
export function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}

/** Fisher–Yates with mulberry32. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rand = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The order in which one shard reads row groups, epoch by epoch: a pure function of the (already pruned)
 * row groups and the options, so every worker of a distributed job computes the same plan.
 *
 * @example
 * const plan = new RowGroupPlan(rowGroups, { shardIndex: 0, shardCount: 2, shuffleRowGroups: true, seed: 7 });
 * plan.epoch(0); // this shard's row groups in epoch 0's order
 */
export class RowGroupPlan<T extends PlannableRowGroup> {
  /** This shard's row groups in store order. */
  readonly shard: readonly T[];
  readonly numRows: number;
  readonly #o: RowGroupPlanOptions;

  constructor(rowGroups: readonly T[], options: RowGroupPlanOptions) {
    this.#o = options;
    this.shard = options.shardCount === 1 ? [...rowGroups] : assignShards(rowGroups, options.shardCount)[options.shardIndex]!;
    this.numRows = this.shard.reduce((s, rg) => s + rg.numRows, 0);
  }

  /** Row groups of epoch `epoch` (0-based) in read order. */
  epoch(epoch: number): T[] {
    return this.#o.shuffleRowGroups ? seededShuffle(this.shard, epochSeed(this.#o.seed, epoch)) : [...this.shard];
  }
}
