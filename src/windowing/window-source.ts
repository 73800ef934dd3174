import { ConfigError, describeValue } from '../errors.js';
import type { ColumnBatch, NumericColumn } from '../schema/columns.js';

/** The rows of one unit of a source (a Parquet row group, a chunk of arrays), tagged with the unit. */
export interface UnitBatch {
  unit: number;
  batch: ColumnBatch;
  /** Called by a consumer that will not read `batch` again: the source may reuse its columns' memory. */
  release?(): void;
}

/**
 * What the windowing stage reads: columns in time order (per series), in runs of rows (`ColumnBatch`es, e.g.
 * one per Parquet row group). Every `open()` restarts, so a dataset built on it can be iterated for many
 * epochs. A source made of units (row groups, chunks) may also read any units in any order
 * (`openUnits`): then shards skip the units they do not need and `shuffle` reads units in a random order;
 * without it, shuffling uses a bounded buffer of windows. `storeWindowSource` (a store through the batch
 * reader) and `columnsSource` (arrays) implement both.
 *
 * @example
 * const source: WindowSource = columnsSource({ close: new Float64Array([1, 2, 3]) });
 * for await (const batch of source.open(['close'])) console.log(batch.numRows);
 */
export interface WindowSource {
  /** Column names the source can deliver. */
  readonly columns: readonly string[];
  /** Total rows when known without reading (e.g. from Parquet footers); saves a counting pass. */
  readonly numRows?: number;
  /**
   * Every row, in order: `columns` names the columns the caller needs (a source may deliver more). Breaking
   * out of the loop must release the underlying resources.
   */
  open(columns: readonly string[]): AsyncIterable<ColumnBatch>;
  /** How many units the source has (with `openUnits`). */
  readonly unitCount?: number;
  /** Rows per unit when known without reading (no row filters); saves a pass. */
  readonly unitRows?: readonly number[];
  /** The given units, in the given order (a unit may repeat), each as one batch; an empty unit may be skipped. */
  openUnits?(columns: readonly string[], units: readonly number[]): AsyncIterable<UnitBatch>;
}

/** Whether `x` has the shape of a `WindowSource` (a store location has `list()` instead of `columns`). */
export function isWindowSource(x: unknown): x is WindowSource {
  return typeof x === 'object' && x !== null && typeof (x as WindowSource).open === 'function' && Array.isArray((x as WindowSource).columns);
}

/**
 * The units `units` of a source (default: all, in order) as unit batches: through `openUnits` when the source
 * has units; else each batch of `open()` is a unit, read in order, and the ones not asked for (an increasing
 * list) are passed over.
 */
export async function* readUnits(source: WindowSource, columns: readonly string[], units?: readonly number[]): AsyncGenerator<UnitBatch> {
  if (source.openUnits && source.unitCount !== undefined) {
    yield* source.openUnits(columns, units ?? Array.from({ length: source.unitCount }, (_, u) => u));
    return;
  }
  let unit = 0;
  let next = 0;
  for await (const batch of source.open(columns)) {
    const u = unit++;
    if (units) {
      if (next >= units.length) return;
      if (units[next] !== u) continue;
      next++;
    }
    yield { unit: u, batch };
  }
}

/** Options of `columnsSource`. */
export interface ColumnsSourceOptions {
  /**
   * Rows per unit (subarray views, no copy), like a store's row groups: the windowing works on one unit (and
   * the span − 1 rows before it) at a time, and a shuffle reorders units. Default 65,536.
   */
  chunkRows?: number;
}

/**
 * An in-memory `WindowSource` over equal-length typed arrays (numbers) or arrays (strings, for series ids),
 * cut into units of `chunkRows` rows.
 *
 * @example
 * const src = columnsSource({ t: Float64Array.from([0, 1, 2]), x: new Float32Array([1, 2, 3]) }, { chunkRows: 2 });
 */
export function columnsSource(columns: Record<string, NumericColumn | readonly number[] | readonly string[]>, options: ColumnsSourceOptions = {}): WindowSource {
  const names = Object.keys(columns);
  const data: Record<string, NumericColumn | string[]> = {};
  let numRows = -1;
  for (const name of names) {
    const values = columns[name]!;
    const col = ArrayBuffer.isView(values) ? (values as NumericColumn) : values.length > 0 && typeof values[0] === 'string' ? [...(values as readonly string[])] : Float64Array.from(values as readonly number[]);
    if (numRows >= 0 && col.length !== numRows) {
      throw new ConfigError(`columnsSource: column "${name}" has ${col.length} rows but "${names[0]}" has ${numRows}; all columns must have the same length`);
    }
    numRows = col.length;
    data[name] = col;
  }
  if (numRows < 0) numRows = 0;
  const chunk = options.chunkRows ?? 65_536;
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new ConfigError(`columnsSource: chunkRows must be an integer >= 1; received ${describeValue(options.chunkRows)}`);
  }
  const unitCount = Math.ceil(numRows / chunk);
  const unitBatch = (wanted: readonly string[], u: number): ColumnBatch => {
    const start = u * chunk;
    const end = Math.min(numRows, start + chunk);
    const batch: ColumnBatch = { numRows: end - start, columns: {} };
    for (const name of wanted) {
      const c = data[name];
      if (c) batch.columns[name] = Array.isArray(c) ? c.slice(start, end) : (c as NumericColumn).subarray(start, end);
    }
    return batch;
  };
  return {
    columns: names,
    numRows,
    unitCount,
    unitRows: Array.from({ length: unitCount }, (_, u) => Math.min(chunk, numRows - u * chunk)),
    async *open(wanted) {
      for (let u = 0; u < unitCount; u++) yield unitBatch(wanted, u);
    },
    async *openUnits(wanted, units) {
      for (const u of units) yield { unit: u, batch: unitBatch(wanted, u) };
    },
  };
}
