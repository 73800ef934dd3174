import { TfplError } from '../errors.js';
import { numberColumn, type NumberColumn } from './column-access.js';
import type { RowRange } from './split.js';
import type { WindowGeometry } from './window-plan.js';
import type { SourceBatch } from './window-source.js';

/** How `WindowAssembler` turns source columns into window values. */
export interface AssemblerConfig {
  fn: string;
  geom: WindowGeometry;
  /** Columns read from the source (features ∪ targets, each once). */
  columns: readonly string[];
  /** Per column: 1 when it becomes ln(x[t] / x[t−1]). */
  logReturn: Uint8Array;
  /** Per column: normalised = (x − offset) × scale. */
  offset: Float64Array;
  scale: Float64Array;
  /** Index into `columns` of each feature (xs order) and each target (ys order). */
  featureIdx: Int32Array;
  targetIdx: Int32Array;
  timestampColumn?: string;
  maxGap?: number;
  /** Rows windows may use (a split part); rows after it are never needed. */
  range: RowRange;
  /** Only windows starting in [first, last] (a shard's windows); default: every window of the range. */
  starts?: { first: number; last: number };
}

/** Rows appended to the carry buffer between two compactions (each compaction moves span − 1 rows). */
const SLACK_ROWS = 4096;

/**
 * Turns `ColumnBatch`es, in order, into windows without keeping history: the last `span` − 1 rows
 * (already transformed and normalised, as float32) are all that carries over between batches, so windows
 * cross row-group and file boundaries at no cost. Rows are appended to a linear buffer of span + 4096
 * rows that moves its last span − 1 rows to the front when full (instead of a ring: a window is then one
 * contiguous block, copied without a modulo per step). Pull-style and allocation-free per window:
 *
 * @example
 * asm.setBatch(batch);
 * while (asm.advance()) asm.writeWindow(xs, k * windowFloats, ys, k * targetFloats);
 */
export class WindowAssembler {
  readonly featureFloats: number;
  readonly targetFloats: number;
  /** First row of the window made available by the last `advance()` returning true. */
  windowStart = -1;
  private readonly c: AssemblerConfig;
  private readonly width: number;
  private readonly buf: Float32Array;
  private readonly capRows: number;
  private bufStart: number; // global row index of the buffer's first row
  private readonly contiguous: boolean; // features = all columns in order and samplingRate 1
  // One view per possible window start in the buffer, made once: `set` from a view is a memcpy, 2.5× faster
  // than a JS loop, and reusing views keeps the per-window path free of allocations.
  private readonly views: Float32Array[] | undefined;
  private readonly prevRaw: Float64Array;
  private readonly anchor: number;
  /** First and last (exclusive) rows any wanted window reads: rows outside are skipped unread. */
  private readonly from: number;
  private readonly to: number;
  private readonly firstStart: number;
  private readonly lastStart: number;
  private row = 0; // global index of the next row to read
  private lastBreak = 0; // last row that starts a gap-free segment
  private prevTs = NaN;
  private cols: NumberColumn[] = [];
  private ts: NumberColumn | undefined;
  private i = 0;
  private n = 0;

  constructor(config: AssemblerConfig) {
    this.c = config;
    this.width = config.columns.length;
    this.capRows = config.geom.span + SLACK_ROWS;
    this.firstStart = config.starts?.first ?? -Infinity;
    this.lastStart = config.starts?.last ?? Infinity;
    this.from = Math.max(config.range.start, this.firstStart - config.geom.lead);
    this.to = Math.min(config.range.end, this.lastStart + config.geom.span);
    // Rows before `from` are skipped unread, so the first row the buffer receives is `from`.
    this.bufStart = this.from;
    this.buf = new Float32Array(this.capRows * this.width);
    this.contiguous = config.geom.samplingRate === 1 && config.featureIdx.length === this.width && config.featureIdx.every((c, i) => c === i);
    const windowFloats = config.geom.windowSize * this.width;
    this.views = this.contiguous ? Array.from({ length: SLACK_ROWS + 1 }, (_, o) => this.buf.subarray(o * this.width, o * this.width + windowFloats)) : undefined;
    this.prevRaw = new Float64Array(this.width);
    this.anchor = config.range.start + config.geom.lead;
    this.featureFloats = config.geom.windowSize * config.featureIdx.length;
    this.targetFloats = config.geom.horizon * config.targetIdx.length;
  }

  /** The first row any wanted window reads: a source may skip the rows before it (`open(columns, fromRow)`). */
  get firstRow(): number {
    return this.from;
  }

  /** True once every row a wanted window reads has been read: the caller may stop reading the source. */
  get finished(): boolean {
    return this.row >= this.to;
  }

  /** Next batch of rows: directly after the previous one, or at its `startRow` when the source skipped rows nobody needs. */
  setBatch(batch: SourceBatch): void {
    const { fn, columns, timestampColumn } = this.c;
    if (batch.startRow !== undefined && batch.startRow !== this.row) {
      if (batch.startRow < this.row || batch.startRow > this.from) {
        throw new TfplError('ERR_WINDOW_SOURCE', `${fn}: the source yielded a batch starting at row ${batch.startRow} after row ${this.row - 1}, skipping rows that windows need (from row ${this.from}); a source may only skip rows before the fromRow it was given`);
      }
      this.row = batch.startRow;
    }
    this.n = batch.numRows;
    // Rows before `from` never reach a window (not even as the log-return lead): skip them unread.
    const skip = Math.min(this.n, Math.max(0, this.from - this.row));
    this.row += skip;
    this.i = skip;
    if (skip === this.n) return;
    this.cols = columns.map((name) => numberColumn(fn, name, batch.columns[name], this.n));
    this.ts = timestampColumn ? numberColumn(fn, timestampColumn, batch.columns[timestampColumn], this.n) : undefined;
  }

  /** Reads rows until one completes a valid window (true, see `windowStart`) or the batch ends (false). */
  advance(): boolean {
    const { geom, offset, scale, logReturn, maxGap } = this.c;
    const { span, stride, lead } = geom;
    const width = this.width;
    const prevRaw = this.prevRaw;
    const cols = this.cols;
    const ts = this.ts;
    while (this.i < this.n) {
      const g = this.row;
      if (g >= this.to) {
        this.i = this.n;
        return false;
      }
      const i = this.i++;
      this.row++;
      if (ts !== undefined) {
        const t = ts[i]!;
        // A backwards jump is a break too, so a window never spans out-of-order rows.
        if (g > 0 && (t - this.prevTs > (maxGap ?? Infinity) || t < this.prevTs)) this.lastBreak = g;
        this.prevTs = t;
      }
      if (g - this.bufStart === this.capRows) {
        const keep = span - 1;
        this.buf.copyWithin(0, (this.capRows - keep) * width, this.capRows * width);
        this.bufStart += this.capRows - keep;
      }
      const buf = this.buf;
      const base = (g - this.bufStart) * width;
      for (let c = 0; c < width; c++) {
        let v = cols[c]![i]!;
        if (logReturn[c] === 1) {
          const raw = v;
          v = Math.log(raw / prevRaw[c]!);
          prevRaw[c] = raw;
        }
        buf[base + c] = (v - offset[c]!) * scale[c]!;
      }
      const s = g - span + 1;
      if (s >= this.anchor && (s - this.anchor) % stride === 0 && this.lastBreak <= s - lead && s >= this.firstStart && s <= this.lastStart) {
        this.windowStart = s;
        return true;
      }
    }
    return false;
  }

  /** Copies the current window's inputs ([windowSize, features]) and targets ([horizon, targets]). */
  writeWindow(xs: Float32Array, xOff: number, ys: Float32Array, yOff: number): void {
    const { geom, featureIdx, targetIdx } = this.c;
    const { samplingRate: r, windowSize: w, horizon } = geom;
    const width = this.width;
    const buf = this.buf;
    const first = (this.windowStart - this.bufStart) * width;
    if (this.contiguous) {
      xs.set(this.views![this.windowStart - this.bufStart]!, xOff);
      xOff += w * width;
    } else {
      const nf = featureIdx.length;
      for (let k = 0; k < w; k++) {
        const base = first + k * r * width;
        for (let f = 0; f < nf; f++) xs[xOff++] = buf[base + featureIdx[f]!]!;
      }
    }
    const nt = targetIdx.length;
    for (let h = 1; h <= horizon; h++) {
      const base = first + (w - 1 + h) * r * width;
      for (let t = 0; t < nt; t++) ys[yOff++] = buf[base + targetIdx[t]!]!;
    }
  }
}
