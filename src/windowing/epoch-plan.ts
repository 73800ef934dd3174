import { createPrng, deriveSeed } from './prng.js';
import type { SourceFacts } from './source-scan.js';
import { type WindowGeometry, SeriesWindows } from './window-plan.js';

/** Which windows of each series a dataset yields (its shard), before per-epoch sampling. */
export interface SeriesShare {
  windows: SeriesWindows;
  /** Window ordinals [lo, hi) of this shard. */
  lo: number;
  hi: number;
}

/** `sample: 'balanced'`: every series contributes `perSeries` windows per epoch, drawn anew each epoch (seeded). */
export interface BalancedSampling {
  perSeries: number;
}

/**
 * The windows of one epoch: per series, how many times each window is drawn (once, or per the balanced
 * sampling), and per unit of the source how many windows complete there and which earlier unit holds the
 * first row they need. A pure function of the facts, the options and the epoch.
 */
export class EpochWindows {
  readonly total: number;
  /** Per unit: windows that complete in it this epoch. */
  readonly unitWindows: Float64Array;
  /** Per unit: the earliest unit holding a row its windows need (the unit itself, or an earlier one). */
  readonly lookback: Int32Array;
  readonly #shares: readonly (SeriesShare | null)[];
  /** Per series (balanced sampling): draws of each ordinal in [lo, hi), and their prefix sums. */
  readonly #draws: (Uint32Array | null)[];
  readonly #prefix: (Float64Array | null)[];

  constructor(facts: SourceFacts, geom: WindowGeometry, shares: readonly (SeriesShare | null)[], balanced: BalancedSampling | null, epochSeed: number) {
    this.#shares = shares;
    this.#draws = shares.map(() => null);
    this.#prefix = shares.map(() => null);
    if (balanced) {
      const rng = createPrng(deriveSeed(epochSeed, 1));
      shares.forEach((sh, s) => {
        if (!sh || sh.hi <= sh.lo) return;
        const draws = drawBalanced(sh.hi - sh.lo, balanced.perSeries, rng.next);
        const prefix = new Float64Array(draws.length + 1);
        for (let j = 0; j < draws.length; j++) prefix[j + 1] = prefix[j]! + draws[j]!;
        this.#draws[s] = draws;
        this.#prefix[s] = prefix;
      });
    }
    // Series → its units in order (for the lookback search).
    const unitsOf: number[][] = facts.series.map(() => []);
    const firstOf: number[][] = facts.series.map(() => []);
    facts.units.forEach((u, k) => {
      for (let p = 0; p < u.series.length; p++) {
        unitsOf[u.series[p]!]!.push(k);
        firstOf[u.series[p]!]!.push(u.firstRow[p]!);
      }
    });
    this.unitWindows = new Float64Array(facts.units.length);
    this.lookback = new Int32Array(facts.units.length);
    let total = 0;
    facts.units.forEach((u, k) => {
      let lb = k;
      for (let p = 0; p < u.series.length; p++) {
        const s = u.series[p]!;
        const sh = shares[s];
        if (!sh) continue;
        const first = u.firstRow[p]!;
        const { count, firstStart } = this.#completingIn(s, sh, first - geom.span + 1, first + u.counts[p]! - geom.span);
        if (count === 0) continue;
        this.unitWindows[k]! += count;
        // The unit holding the first row the earliest of these windows reads (its lead row included).
        const need = firstStart - geom.lead;
        const firsts = firstOf[s]!;
        let lo = 0;
        let hi = firsts.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (firsts[mid]! <= need) lo = mid;
          else hi = mid - 1;
        }
        lb = Math.min(lb, unitsOf[s]![lo]!);
      }
      this.lookback[k] = lb;
      total += this.unitWindows[k]!;
    });
    this.total = total;
  }

  /** Windows (with their draws) starting in [a, b] of series s, and the first such start. */
  #completingIn(s: number, sh: SeriesShare, a: number, b: number): { count: number; firstStart: number } {
    if (b < a) return { count: 0, firstStart: 0 };
    const lo = Math.max(sh.lo, sh.windows.countBefore(a));
    const hi = Math.min(sh.hi, sh.windows.countBefore(b + 1));
    if (hi <= lo) return { count: 0, firstStart: 0 };
    const prefix = this.#prefix[s];
    const count = prefix ? prefix[hi - sh.lo]! - prefix[lo - sh.lo]! : hi - lo;
    return { count, firstStart: sh.windows.startAt(lo) };
  }

  /** Whether series s draws its windows unevenly this epoch (balanced sampling), else each once. */
  sampled(s: number): boolean {
    return this.#draws[s] !== null && this.#draws[s] !== undefined;
  }

  /** How many times window `ordinal` of series `s` is drawn this epoch (0: not at all). */
  draws(s: number, ordinal: number): number {
    const sh = this.#shares[s];
    if (!sh || ordinal < sh.lo || ordinal >= sh.hi) return 0;
    const d = this.#draws[s];
    return d ? d[ordinal - sh.lo]! : 1;
  }
}

/**
 * `m` draws over `n` windows, as evenly as possible: each window ⌊m/n⌋ times, and m mod n of them once more,
 * chosen without replacement by selection sampling (Knuth's algorithm S), so the draws are uniform.
 */
export function drawBalanced(n: number, m: number, uniform: () => number): Uint32Array {
  const out = new Uint32Array(n).fill(Math.floor(m / n));
  let extra = m % n;
  for (let j = 0; j < n && extra > 0; j++) {
    if (uniform() * (n - j) < extra) {
      out[j]!++;
      extra--;
    }
  }
  return out;
}
