import type { ColumnBatch } from '../schema/columns.js';
import { numberColumn, type NumberColumn } from './column-access.js';
import type { SeriesKeys } from './series-keys.js';
import { sourceChanged, type UnitLayout } from './source-scan.js';
import type { WindowArena } from './window-arena.js';
import type { WindowGeometry } from './window-plan.js';

/** How `UnitAssembler` turns source columns into window values. */
export interface AssemblerConfig {
  fn: string;
  geom: WindowGeometry;
  /** Columns read from the source (features ∪ targets, each once). */
  columns: readonly string[];
  /** Per column: 1 when it becomes ln(x[t] / x[t−1]). */
  logReturn: Uint8Array;
  /** Per series × column: normalised = (x − offset) × scale. */
  offset: Float64Array;
  scale: Float64Array;
  /** Index into `columns` of each feature (xs order) and each target (ys order). */
  featureIdx: Int32Array;
  targetIdx: Int32Array;
  /** The series of the rows (null: the source is one series). */
  keys: SeriesKeys | null;
  /** Read to compute calendar features of the targets. */
  timestampColumn?: string;
}

/** Rows whose window views a work buffer keeps (a unit of up to this many rows reuses them unit after unit). */
const MAX_CACHED_VIEWS = 1 << 18;

/**
 * Rows of one unit, transformed and laid out per series: each present series' block holds the rows it
 * carried over from earlier units (up to span − 1) followed by its rows of the unit, so every window
 * completing in the unit is one contiguous run of rows. Reused unit after unit (it only grows).
 */
export class WorkBuffer {
  data = new Float32Array(0);
  ts: Float64Array | null = null;
  /** Where `data` lives when the windows are copied by the arena (its work region), else null. */
  readonly arena: WindowArena | null;
  #views: Float32Array[] = [];
  #viewFloats = 0;
  readonly #width: number;
  readonly #withTs: boolean;

  constructor(width: number, withTs: boolean, arena: WindowArena | null = null) {
    this.#width = width;
    this.#withTs = withTs;
    this.arena = arena;
  }

  ensure(rows: number): void {
    if (rows * this.#width <= this.data.length) return;
    const cap = Math.max(rows, Math.ceil((this.data.length / Math.max(1, this.#width)) * 1.5), 1024);
    this.data = this.arena ? this.arena.workView(cap * this.#width) : new Float32Array(cap * this.#width);
    if (this.#withTs) this.ts = new Float64Array(cap);
    this.#views = [];
  }

  /**
   * `floats` values from row `row` as a view, made once per row: copying with `set` from a view is a memcpy,
   * several times faster than a loop, and reusing views keeps the per-window path free of allocations.
   */
  view(row: number, floats: number): Float32Array {
    if (floats !== this.#viewFloats) {
      this.#views = [];
      this.#viewFloats = floats;
    }
    // Beyond a row group's worth of rows a view is rarely asked twice: make it, do not keep it.
    if (row >= MAX_CACHED_VIEWS) return this.data.subarray(row * this.#width, row * this.#width + floats);
    let v = this.#views[row];
    if (v === undefined) {
      v = this.data.subarray(row * this.#width, row * this.#width + floats);
      this.#views[row] = v;
    }
    return v;
  }
}

interface Carry {
  /** Series rows [start, end) held in `rows`, transformed. */
  start: number;
  end: number;
  /**
   * First series row whose transformed value is right: with log returns, a row read right after rows were
   * skipped has no previous value, so only the rows after it are usable.
   */
  validFrom: number;
  rows: Float32Array;
  ts: Float64Array | null;
}

/** A window that completes in the unit just assembled: its first row in the work buffer, and its series. */
export type StageWindow = (row: number, series: number, ordinal: number) => void;

/**
 * Turns unit batches into per-series blocks of transformed rows (log returns, then normalisation with each
 * series' statistics), carrying the last span − 1 rows of every series from one unit to the next, so windows
 * cross unit and file boundaries and never mix series. A unit that does not follow the previous rows of a
 * series (a shard or a shuffled epoch skipped units) starts that series afresh; the windows that would need
 * the skipped rows are not asked for.
 *
 * @example
 * asm.assemble(batch, layout, work, (row, series, ordinal) => ...); // every window completing in the unit
 */
export class UnitAssembler {
  readonly width: number;
  readonly #c: AssemblerConfig;
  readonly #carries: (Carry | undefined)[] = [];
  /** Raw value of every series' last row, per column (log returns). */
  #prevRaw = new Float64Array(0);
  readonly #keep: number;
  #slot = new Int32Array(0);
  #blockStart = new Int32Array(0);
  #cursor = new Int32Array(0);
  #cols: NumberColumn[];
  /** No statistics to apply: every offset 0 and every scale 1 (normalize: 'none'). */
  readonly #identity: boolean;
  /** The series number of each row of the unit being assembled (reused). */
  #ids = new Int32Array(0);

  constructor(config: AssemblerConfig) {
    this.#c = config;
    this.width = config.columns.length;
    this.#keep = config.geom.span - 1;
    this.#cols = new Array(this.width);
    this.#identity = config.offset.every((v) => v === 0) && config.scale.every((v) => v === 1);
  }

  #carry(s: number): Carry {
    let c = this.#carries[s];
    if (!c) {
      c = { start: -1, end: -1, validFrom: 0, rows: new Float32Array(this.#keep * this.width), ts: this.#c.timestampColumn ? new Float64Array(this.#keep) : null };
      this.#carries[s] = c;
      if (this.#prevRaw.length < (s + 1) * this.width) {
        const grown = new Float64Array(Math.max((s + 1) * this.width, this.#prevRaw.length * 2));
        grown.set(this.#prevRaw);
        this.#prevRaw = grown;
      }
    }
    return c;
  }

  /**
   * Transforms the rows of one unit into `work`, then calls `windows(p, blockRow, firstRow, end)` for each
   * present series p: its block starts at work row `blockRow` holding series rows from `firstRow`... see
   * `forEachWindow`. Returns the per-present-series block starts (work rows) and local starts.
   */
  assemble(batch: ColumnBatch, layout: UnitLayout, work: WorkBuffer, rowOffset: number): { blockRow: Int32Array; localStart: Int32Array; validFrom: Int32Array } {
    const { fn, columns, offset, scale, logReturn, keys, timestampColumn } = this.#c;
    const n = batch.numRows;
    if (n !== layout.rows) throw sourceChanged(fn, `a unit has ${n} rows now and had ${layout.rows} in the first pass`);
    const width = this.width;
    const P = layout.series.length;
    if (this.#blockStart.length < P) {
      this.#blockStart = new Int32Array(P);
      this.#cursor = new Int32Array(P);
    }
    const blockRow = new Int32Array(P);
    const localStart = new Int32Array(P);
    const validFrom = new Int32Array(P);
    let rows = 0;
    for (let p = 0; p < P; p++) {
      const s = layout.series[p]!;
      const c = this.#carry(s);
      const first = layout.firstRow[p]!;
      // Rows that do not follow the carried ones (units skipped): the series starts afresh here.
      if (c.end !== first) {
        c.start = c.end = first;
        c.validFrom = first + this.#c.geom.lead;
      }
      blockRow[p] = rows;
      localStart[p] = c.start;
      validFrom[p] = Math.max(c.start, c.validFrom);
      rows += c.end - c.start + layout.counts[p]!;
    }
    work.ensure(rows);
    const data = work.data;
    const wts = work.ts;
    for (let p = 0; p < P; p++) {
      const c = this.#carries[layout.series[p]!]!;
      const carried = c.end - c.start;
      if (carried > 0) {
        // The carry holds the last `keep` rows; the block wants the last `carried` of them.
        data.set(c.rows.subarray((this.#keep - carried) * width, this.#keep * width), blockRow[p]! * width);
        if (wts && c.ts) wts.set(c.ts.subarray(this.#keep - carried, this.#keep), blockRow[p]!);
      }
      this.#cursor[p] = blockRow[p]! + carried;
    }

    const cols = this.#cols;
    for (let k = 0; k < width; k++) cols[k] = numberColumn(fn, columns[k]!, batch.columns[columns[k]!], n);
    const ts = timestampColumn ? numberColumn(fn, timestampColumn, batch.columns[timestampColumn], n) : undefined;
    const prevRaw = this.#prevRaw;
    if (keys === null) {
      // One series (slot 0): the whole unit is one run.
      this.#cursor[0] = this.#writeRun(cols, ts, work, 0, n, 0, this.#cursor[0]!);
    } else {
      if (this.#ids.length < n) this.#ids = new Int32Array(n);
      const seriesOf = keys.indexRows(batch, rowOffset, true, this.#ids);
      const slot = this.#slotsFor(layout);
      let runs = 1;
      for (let i = 1; i < n; i++) if (seriesOf[i] !== seriesOf[i - 1]) runs++;
      if (runs * 64 <= n) {
        // Rows sorted by series: each run of one series is a contiguous stretch of its block.
        for (let i0 = 0; i0 < n; ) {
          const s = seriesOf[i0]!;
          let i1 = i0 + 1;
          while (i1 < n && seriesOf[i1] === s) i1++;
          const p = slot[s]!;
          if (p < 0) throw sourceChanged(fn, `series ${keys.keys[s]} has rows in a unit where the first pass saw none`);
          this.#cursor[p] = this.#writeRun(cols, ts, work, i0, i1, s, this.#cursor[p]!);
          i0 = i1;
        }
        for (let p = 0; p < P; p++) slot[layout.series[p]!] = -1;
      } else {
        // Rows interleaved across series: each row to the next free row of its series' block, the block's
        // next row kept per series number (no slot lookup per row).
        const next = slot;
        for (let p = 0; p < P; p++) next[layout.series[p]!] = this.#cursor[p]!;
        const anyLog = logReturn.some((v) => v === 1);
        const plain = !anyLog && this.#identity;
        for (let i = 0; i < n; i++) {
          const s = seriesOf[i]!;
          const w = next[s]!;
          if (w < 0) throw sourceChanged(fn, `series ${keys.keys[s]} has rows in a unit where the first pass saw none`);
          next[s] = w + 1;
          const base = w * width;
          if (wts) wts[w] = ts![i]!;
          if (plain) {
            for (let k = 0; k < width; k++) data[base + k] = cols[k]![i]!;
            continue;
          }
          const sw = s * width;
          if (anyLog) {
            for (let k = 0; k < width; k++) {
              const raw = cols[k]![i]!;
              const sk = sw + k;
              data[base + k] = ((logReturn[k] === 1 ? Math.log(raw / prevRaw[sk]!) : raw) - offset[sk]!) * scale[sk]!;
              if (logReturn[k] === 1) prevRaw[sk] = raw;
            }
          } else {
            for (let k = 0; k < width; k++) data[base + k] = (cols[k]![i]! - offset[sw + k]!) * scale[sw + k]!;
          }
        }
        for (let p = 0; p < P; p++) this.#cursor[p] = next[layout.series[p]!]!;
        for (let p = 0; p < P; p++) slot[layout.series[p]!] = -1;
      }
    }

    // Carry the last span − 1 rows of every present series to the next unit.
    const keep = this.#keep;
    for (let p = 0; p < P; p++) {
      const c = this.#carries[layout.series[p]!]!;
      const end = layout.firstRow[p]! + layout.counts[p]!;
      const blockEnd = this.#cursor[p]!;
      if (blockEnd !== blockRow[p]! + (c.end - c.start) + layout.counts[p]!) throw sourceChanged(fn, `a series has another number of rows in a unit than in the first pass`);
      const kept = Math.min(keep, end - c.start);
      if (kept > 0) {
        c.rows.set(data.subarray((blockEnd - kept) * width, blockEnd * width), (keep - kept) * width);
        if (c.ts && wts) c.ts.set(wts.subarray(blockEnd - kept, blockEnd), keep - kept);
      }
      c.start = end - kept;
      c.end = end;
    }
    return { blockRow, localStart, validFrom };
  }

  /**
   * Unit rows [i0, i1), all of series `s`, transformed into consecutive work rows from `pos0`: one tight loop
   * per column (the interleave into rows). Returns the work row after the last one written.
   */
  #writeRun(cols: NumberColumn[], ts: NumberColumn | undefined, work: WorkBuffer, i0: number, i1: number, s: number, pos0: number): number {
    const { offset, scale, logReturn } = this.#c;
    const width = this.width;
    const data = work.data;
    const prevRaw = this.#prevRaw;
    for (let k = 0; k < width; k++) {
      const col = cols[k]!;
      const sk = s * width + k;
      const off = offset[sk]!;
      const sc = scale[sk]!;
      let at = pos0 * width + k;
      if (logReturn[k] === 1) {
        let prev = prevRaw[sk]!;
        for (let i = i0; i < i1; i++, at += width) {
          const raw = col[i]!;
          data[at] = (Math.log(raw / prev) - off) * sc;
          prev = raw;
        }
        prevRaw[sk] = prev;
      } else if (off === 0 && sc === 1) {
        for (let i = i0; i < i1; i++, at += width) data[at] = col[i]!;
      } else {
        for (let i = i0; i < i1; i++, at += width) data[at] = (col[i]! - off) * sc;
      }
    }
    const wts = work.ts;
    if (wts) for (let i = i0; i < i1; i++) wts[pos0 + i - i0] = ts![i]!;
    return pos0 + (i1 - i0);
  }

  #slotsFor(layout: UnitLayout): Int32Array {
    const need = this.#c.keys!.count;
    if (this.#slot.length < need) {
      const grown = new Int32Array(Math.max(need, this.#slot.length * 2)).fill(-1);
      grown.set(this.#slot);
      this.#slot = grown;
    }
    for (let p = 0; p < layout.series.length; p++) this.#slot[layout.series[p]!] = p;
    return this.#slot;
  }

  /** Forgets every carry: the next unit starts every series afresh (a new epoch). */
  reset(): void {
    for (const c of this.#carries) if (c) c.start = c.end = -1;
  }
}
