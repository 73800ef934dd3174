import { type BalancedSampling, EpochWindows, type SeriesShare } from './epoch-plan.js';
import { createPrng, type Prng } from './prng.js';
import { WindowShuffleBuffer } from './shuffle-buffer.js';
import { sourceChanged, type SourceFacts } from './source-scan.js';
import { EventLoopTurns } from '../readers/event-loop-turns.js';
import { type AssemblerConfig, UnitAssembler, WorkBuffer } from './unit-assembler.js';
import { WindowArena } from './window-arena.js';
import { readUnits, type WindowSource } from './window-source.js';
import { type WindowBatch, type WindowExtras, WindowWriter } from './window-writer.js';

/** How an epoch mixes windows. */
export type ShuffleMode =
  | { kind: 'none' }
  /** Units (row groups) in a seeded random order, windows drawn at random from `units` units held at once. */
  | { kind: 'units'; units: number }
  /** For sources without random access: a bounded buffer of `size` windows (tf.data's shuffle). */
  | { kind: 'buffer'; size: number };

/** Everything one epoch of batches needs; fixed per dataset. */
export interface BatchPlan {
  source: WindowSource;
  facts: SourceFacts;
  assembler: AssemblerConfig;
  /** Per series: the windows this dataset yields (its part and shard), or null. */
  shares: readonly (SeriesShare | null)[];
  balanced: BalancedSampling | null;
  extras: WindowExtras;
  /** Columns read from the source: features, targets, series ids, the timestamp for calendar features. */
  readColumns: readonly string[];
  batchSize: number;
  dropRemainder: boolean;
  shuffle: ShuffleMode;
}

/** Windows of one epoch, in the order batches take them, plus the unit each came from (for shuffleQuality). */
export interface EpochOrder {
  windows: EpochWindows;
  /** Units read, in order, and whether each is read for its own windows (else for the rows it lends). */
  reads: { unit: number; target: boolean }[];
}

/** The units an epoch reads, in order: in source order, or (shuffled) each target unit after its lookback. */
export function epochReads(plan: BatchPlan, ew: EpochWindows, rng: Prng | null): { unit: number; target: boolean }[] {
  const targets: number[] = [];
  for (let u = 0; u < ew.unitWindows.length; u++) if (ew.unitWindows[u]! > 0) targets.push(u);
  if (rng && plan.shuffle.kind === 'units') {
    return stratifiedOrder(plan.facts, targets, plan.shuffle.units, rng).flatMap((t) => [...Array.from({ length: t - ew.lookback[t]! }, (_, k) => ({ unit: ew.lookback[t]! + k, target: false })), { unit: t, target: true }]);
  }
  // In source order: every unit from the first one a target needs, skipping runs that no target needs.
  const needed = new Uint8Array(ew.unitWindows.length);
  for (const t of targets) for (let u = ew.lookback[t]!; u <= t; u++) needed[u] = 1;
  const reads: { unit: number; target: boolean }[] = [];
  for (let u = 0; u < needed.length; u++) if (needed[u]) reads.push({ unit: u, target: ew.unitWindows[u]! > 0 });
  return reads;
}

/**
 * A seeded order of the target units in which every run of `strata` consecutive units holds one unit of each
 * stretch of the time range (units ranked by their mean position inside their series, cut into `strata`
 * equal stretches): a pool of that many units then always spans the whole range, so every batch, the first
 * ones included, mixes old and recent windows. A plain permutation leaves that to luck when units are few.
 */
function stratifiedOrder(facts: SourceFacts, targets: number[], strata: number, rng: Prng): number[] {
  const position = (u: number): number => {
    const layout = facts.units[u]!;
    let sum = 0;
    for (let p = 0; p < layout.series.length; p++) sum += (layout.firstRow[p]! + layout.counts[p]! / 2) / facts.series[layout.series[p]!]!.rows;
    return layout.series.length ? sum / layout.series.length : 0;
  };
  const ranked = targets.map((u) => ({ u, at: position(u) })).sort((a, b) => a.at - b.at || a.u - b.u);
  const k = Math.min(strata, ranked.length);
  const stretches: number[][] = Array.from({ length: k }, () => []);
  ranked.forEach(({ u }, i) => stretches[Math.floor((i * k) / ranked.length)]!.push(u));
  for (const st of stretches) shuffleInPlace(st, rng);
  const order: number[] = [];
  const turn = Array.from({ length: k }, (_, i) => i);
  for (let round = 0; order.length < ranked.length; round++) {
    shuffleInPlace(turn, rng);
    for (const s of turn) if (round < stretches[s]!.length) order.push(stretches[s]![round]!);
  }
  return order;
}

function shuffleInPlace<T>(xs: T[], rng: Prng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}

/**
 * The windows of this epoch that complete in one unit, as runs of consecutive windows of one series (work
 * row of the first, count; consecutive windows are `stride` rows apart): a unit of one series is one run or
 * a few, whatever its rows. A window drawn d times (balanced sampling) is d runs of one. Reused unit after unit.
 */
export class UnitRuns {
  rows = new Int32Array(64);
  counts = new Int32Array(64);
  series = new Int32Array(64);
  length = 0;
  windows = 0;

  push(row: number, count: number, series: number): void {
    if (this.length === this.rows.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.rows = grow(this.rows);
      this.counts = grow(this.counts);
      this.series = grow(this.series);
    }
    this.rows[this.length] = row;
    this.counts[this.length] = count;
    this.series[this.length++] = series;
    this.windows += count;
  }

  /** Collects the runs of `unit`, whose present series p has its block at work row `blockRow[p]`. */
  collect(plan: BatchPlan, ew: EpochWindows, unit: number, blocks: { blockRow: Int32Array; localStart: Int32Array; validFrom: Int32Array }): void {
    this.length = this.windows = 0;
    const layout = plan.facts.units[unit]!;
    const { span, stride } = plan.assembler.geom;
    for (let p = 0; p < layout.series.length; p++) {
      const s = layout.series[p]!;
      const share = plan.shares[s];
      if (!share) continue;
      const first = layout.firstRow[p]!;
      const lo = Math.max(first - span + 1, blocks.validFrom[p]!);
      const hi = first + layout.counts[p]! - span;
      const toRow = blocks.blockRow[p]! - blocks.localStart[p]!;
      if (!ew.sampled(s)) {
        share.windows.forEachRun(lo, hi, share.lo, share.hi, (start, count) => this.push(toRow + start, count, s));
        continue;
      }
      share.windows.forEachRun(lo, hi, share.lo, share.hi, (start, count, ordinal) => {
        for (let j = 0; j < count; j++) for (let d = ew.draws(s, ordinal + j); d > 0; d--) this.push(toRow + start + j * stride, 1, s);
      });
    }
  }
}

/** Fills batches window by window: sizes fixed from the epoch's total, skipped batches never materialised. */
class BatchFiller {
  readonly toEmit: number;
  emitted = 0;
  #fill = 0;
  #index = 0;
  #batch: WindowBatch | null = null;
  readonly #plan: BatchPlan;
  readonly #writer: WindowWriter;
  readonly #skip: number;
  readonly #reuse: boolean;

  constructor(plan: BatchPlan, writer: WindowWriter, total: number, skip: number, reuse: boolean) {
    this.#plan = plan;
    this.#writer = writer;
    this.#skip = skip;
    this.#reuse = reuse;
    this.toEmit = plan.dropRemainder ? Math.floor(total / plan.batchSize) * plan.batchSize : total;
    this.#open();
  }

  get done(): boolean {
    return this.emitted >= this.toEmit;
  }

  /** The batch being filled and its next slot (null while replaying skipped batches). */
  get target(): WindowBatch | null {
    return this.#batch;
  }

  get slot(): number {
    return this.#fill;
  }

  #sizeOf(k: number): number {
    return Math.min(this.#plan.batchSize, this.toEmit - k * this.#plan.batchSize);
  }

  #open(): void {
    if (this.emitted >= this.toEmit) return;
    if (this.#index < this.#skip) {
      this.#batch = null;
      return;
    }
    const n = this.#sizeOf(this.#index);
    // Allocating (and zeroing) arrays per batch was the largest self time of an epoch on wasm.
    if (this.#reuse && this.#batch !== null && this.#batch.size === n) return;
    this.#batch = this.#writer.allocate(n);
  }

  /** How many windows the current batch still takes. */
  get room(): number {
    return this.#sizeOf(this.#index) - this.#fill;
  }

  /** Counts `m` (<= room) windows just written from `slot` on (or skipped); returns the batch they completed, if any. */
  advanceBy(m: number): WindowBatch | null {
    this.#fill += m - 1;
    this.emitted += m - 1;
    return this.advance();
  }

  /** Counts the window just written to `slot` (or skipped); returns the batch it completed, if any. */
  advance(): WindowBatch | null {
    this.#fill++;
    this.emitted++;
    if (this.#fill < this.#sizeOf(this.#index)) return null;
    const done = this.#batch;
    this.#index++;
    this.#fill = 0;
    this.#open();
    return done;
  }
}

/** A unit held in the shuffle pool: its rows, and the windows not yet drawn (work row, series). */
interface Resident {
  work: WorkBuffer;
  rows: Int32Array;
  series: Int32Array;
  left: number;
}

/**
 * One epoch of batches. Units are read in source order (no shuffle) or in a seeded random order, each after
 * the units that lend it the rows its first windows need; windows are then drawn at random from several
 * units at once, so a batch mixes windows from across the whole time range and of every series. With
 * `reuseBuffers`, full batches are written into the same arrays (only for a consumer that copies a batch out
 * before asking for the next: the wasm backend does, the cpu backend keeps the array). The first
 * `skipBatches` batches are replayed without being materialised: units are read and random draws repeated,
 * so resuming gives the same next batch.
 *
 * @example
 * for await (const b of windowBatches(plan, epochSeed, 0)) console.log(b.size, b.xs.length);
 */
export async function* windowBatches(plan: BatchPlan, epochSeed: number, skipBatches: number, reuseBuffers = false): AsyncGenerator<WindowBatch> {
  const { facts, assembler: config } = plan;
  const fn = config.fn;
  const ew = new EpochWindows(facts, config.geom, plan.shares, plan.balanced, epochSeed);
  const asm = new UnitAssembler(config);
  // In order with reused batches, windows are copied inside one WebAssembly memory (the writer keeps the
  // arena only where its runs take the common path).
  const arena = reuseBuffers && plan.shuffle.kind === 'none' ? WindowArena.create(plan.batchSize * config.geom.windowSize * config.featureIdx.length) : null;
  const writer = new WindowWriter(config.geom, asm.width, config.featureIdx, config.targetIdx, plan.extras, arena);
  const filler = new BatchFiller(plan, writer, ew.total, skipBatches, reuseBuffers);
  if (filler.toEmit === 0) return;
  const rng = plan.shuffle.kind === 'none' ? null : createPrng(epochSeed);
  const reads = epochReads(plan, ew, rng);
  const withTs = config.timestampColumn !== undefined;

  const runs = new UnitRuns();
  const stride = config.geom.stride;
  // The decode threads' messages and the reads ahead are served between batches, not only when a unit is awaited.
  const turns = new EventLoopTurns();

  let rowOffset = 0;
  let next = 0;
  const units = readUnits(plan.source, plan.readColumns, reads.map((r) => r.unit));

  if (plan.shuffle.kind !== 'units') {
    const work = new WorkBuffer(asm.width, withTs, writer.arena);
    const buf = plan.shuffle.kind === 'buffer' ? new WindowShuffleBuffer(plan.shuffle.size, writer, rng!) : null;
    outer: for await (const { unit, batch, release } of units) {
      const read = reads[next++];
      if (!read || read.unit !== unit) throw sourceChanged(fn, `the source delivered unit ${unit} where unit ${read?.unit ?? '(none)'} was asked for`);
      const blocks = asm.assemble(batch, facts.units[unit]!, work, rowOffset);
      // The unit's rows are in the work buffer now: its columns go back to the decoder.
      release?.();
      rowOffset += batch.numRows;
      if (!read.target) continue;
      runs.collect(plan, ew, unit, blocks);
      for (let r = 0; r < runs.length; r++) {
        let row = runs.rows[r]!;
        let left = runs.counts[r]!;
        const s = runs.series[r]!;
        while (left > 0) {
          if (filler.done) break outer;
          if (buf) {
            if (buf.full) {
              buf.popRandomInto(filler.target, filler.slot);
              const done = filler.advance();
              if (done) {
                const turn = turns.due();
                if (turn) await turn;
                yield done;
              }
            }
            writer.write(work, row, s, buf.windows, buf.pushSlot());
            row += stride;
            left--;
            continue;
          }
          // In order: the run goes into the batch as one block of consecutive windows.
          const m = Math.min(left, filler.room);
          if (filler.target) writer.writeRun(work, row, stride, m, s, filler.target, filler.slot);
          row += m * stride;
          left -= m;
          const done = filler.advanceBy(m);
          if (done) {
            const turn = turns.due();
            if (turn) await turn;
            yield done;
          }
        }
      }
    }
    while (buf && buf.size > 0 && !filler.done) {
      buf.popRandomInto(filler.target, filler.slot);
      const done = filler.advance();
      if (done) {
        const turn = turns.due();
        if (turn) await turn;
        yield done;
      }
    }
  } else {
    // Shuffled by units: up to `units` units resident, windows drawn uniformly from all of them.
    const cap = plan.shuffle.units;
    const residents: Resident[] = [];
    const spare: WorkBuffer[] = [];
    let pooled = 0;
    let lendWork: WorkBuffer | null = null;
    const draw = function* (): Generator<WindowBatch> {
      let r = rng!.nextInt(pooled);
      let k = 0;
      while (r >= residents[k]!.left) r -= residents[k++]!.left;
      const res = residents[k]!;
      const last = --res.left;
      pooled--;
      if (filler.target) writer.write(res.work, res.rows[r]!, res.series[r]!, filler.target, filler.slot);
      res.rows[r] = res.rows[last]!;
      res.series[r] = res.series[last]!;
      if (res.left === 0) {
        spare.push(res.work);
        residents.splice(k, 1);
      }
      const done = filler.advance();
      if (done) yield done;
    };
    for await (const { unit, batch, release } of units) {
      const read = reads[next++];
      if (!read || read.unit !== unit) throw sourceChanged(fn, `the source delivered unit ${unit} where unit ${read?.unit ?? '(none)'} was asked for`);
      if (!read.target) {
        // Lends its rows to the next target unit: only the carries matter.
        lendWork ??= new WorkBuffer(asm.width, withTs);
        asm.assemble(batch, facts.units[unit]!, lendWork, rowOffset);
        release?.();
        continue;
      }
      while (residents.length >= cap && !filler.done) {
        const turn = turns.due();
        if (turn) await turn;
        yield* draw();
      }
      if (filler.done) break;
      const work = spare.pop() ?? new WorkBuffer(asm.width, withTs);
      const blocks = asm.assemble(batch, facts.units[unit]!, work, rowOffset);
      release?.();
      runs.collect(plan, ew, unit, blocks);
      if (runs.windows > 0) {
        const rows = new Int32Array(runs.windows);
        const series = new Int32Array(runs.windows);
        let w = 0;
        for (let r = 0; r < runs.length; r++) {
          for (let j = 0, row = runs.rows[r]!; j < runs.counts[r]!; j++, row += stride, w++) {
            rows[w] = row;
            series[w] = runs.series[r]!;
          }
        }
        residents.push({ work, rows, series, left: w });
        pooled += w;
      } else spare.push(work);
    }
    while (pooled > 0 && !filler.done) {
      const turn = turns.due();
      if (turn) await turn;
      yield* draw();
    }
  }

  if (filler.emitted < filler.toEmit) {
    // Every unit matched the first pass, so a window short means the rows it needs were not read.
    throw sourceChanged(fn, `the epoch produced ${filler.emitted} windows where the first pass counted ${filler.toEmit}`);
  }
}
