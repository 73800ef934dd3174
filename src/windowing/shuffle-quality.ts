import { EpochWindows } from './epoch-plan.js';
import { createPrng } from './prng.js';
import { type BatchPlan, epochReads, UnitRuns } from './window-batches.js';

/** How well an epoch's order mixes windows (see `WindowDataset.shuffleQuality`). */
export interface ShuffleQuality {
  /** Mean, over batches, of the standard deviation of the window positions in a batch (rows). */
  withinBatchSpread: number;
  /** The same under a uniform shuffle: the standard deviation of every window's position. */
  uniformSpread: number;
  /** withinBatchSpread ÷ uniformSpread (1 is a uniform shuffle; an unshuffled epoch is near 0). */
  ratio: number;
  /** Of the ten deciles of window positions, how many the first tenth of the epoch's batches draws from. */
  firstTenthDeciles: number;
  /** Batches in the epoch. */
  batches: number;
}

/**
 * The order of an epoch's windows, replayed from the plan without reading data (the same unit order and
 * random draws as the epoch itself), measured by position: a window's first row inside its series.
 */
export function measureShuffle(plan: BatchPlan, epochSeed: number): ShuffleQuality {
  const ew = new EpochWindows(plan.facts, plan.assembler.geom, plan.shares, plan.balanced, epochSeed);
  const rng = plan.shuffle.kind === 'none' ? null : createPrng(epochSeed);
  const reads = epochReads(plan, ew, rng);
  const order: number[] = [];
  // The epoch's own enumeration of a unit's windows, with work rows equal to series rows: a run's rows are starts.
  const runs = new UnitRuns();
  const { stride } = plan.assembler.geom;
  const unitWindows = (unit: number): number[] => {
    const zeros = new Int32Array(plan.facts.units[unit]!.series.length);
    runs.collect(plan, ew, unit, { blockRow: zeros, localStart: zeros, validFrom: zeros });
    const out: number[] = [];
    for (let k = 0; k < runs.length; k++) for (let j = 0; j < runs.counts[k]!; j++) out.push(runs.rows[k]! + j * stride);
    return out;
  };
  if (plan.shuffle.kind === 'units') {
    const cap = plan.shuffle.units;
    const pool: number[][] = [];
    let pooled = 0;
    const draw = () => {
      let r = rng!.nextInt(pooled);
      let k = 0;
      while (r >= pool[k]!.length) r -= pool[k++]!.length;
      const res = pool[k]!;
      order.push(res[r]!);
      res[r] = res[res.length - 1]!;
      res.pop();
      pooled--;
      if (res.length === 0) pool.splice(k, 1);
    };
    for (const read of reads) {
      if (!read.target) continue;
      while (pool.length >= cap) draw();
      const w = unitWindows(read.unit);
      if (w.length) {
        pool.push(w);
        pooled += w.length;
      }
    }
    while (pooled > 0) draw();
  } else {
    const all = reads.filter((r) => r.target).flatMap((r) => unitWindows(r.unit));
    if (plan.shuffle.kind === 'buffer') {
      const cap = plan.shuffle.size;
      const buf: number[] = [];
      for (const w of all) {
        if (buf.length === cap) {
          const j = rng!.nextInt(buf.length);
          order.push(buf[j]!);
          buf[j] = buf[buf.length - 1]!;
          buf.pop();
        }
        buf.push(w);
      }
      while (buf.length) {
        const j = rng!.nextInt(buf.length);
        order.push(buf[j]!);
        buf[j] = buf[buf.length - 1]!;
        buf.pop();
      }
    } else order.push(...all);
  }
  const n = order.length;
  const bs = plan.batchSize;
  const batches = Math.ceil(n / bs);
  const std = (xs: ArrayLike<number>, a: number, b: number) => {
    let sum = 0;
    for (let i = a; i < b; i++) sum += xs[i]!;
    const mean = sum / (b - a);
    let sq = 0;
    for (let i = a; i < b; i++) sq += (xs[i]! - mean) ** 2;
    return Math.sqrt(sq / (b - a));
  };
  let spread = 0;
  let counted = 0;
  for (let k = 0; k < batches; k++) {
    const a = k * bs;
    const b = Math.min(n, a + bs);
    if (b - a < 2) continue;
    spread += std(order, a, b);
    counted++;
  }
  const uniform = n > 1 ? std(order, 0, n) : 0;
  const sorted = Float64Array.from(order).sort();
  const deciles = Array.from({ length: 9 }, (_, k) => sorted[Math.floor(((k + 1) * n) / 10)] ?? Infinity);
  const hit = new Set<number>();
  const tenth = Math.ceil(batches / 10) * bs;
  for (let i = 0; i < Math.min(n, tenth); i++) {
    let d = 0;
    while (d < 9 && order[i]! >= deciles[d]!) d++;
    hit.add(d);
  }
  const within = counted ? spread / counted : 0;
  return { withinBatchSpread: within, uniformSpread: uniform, ratio: uniform > 0 ? within / uniform : 0, firstTenthDeciles: hit.size, batches };
}
