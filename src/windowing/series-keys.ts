import { ConfigError, SchemaError } from '../errors.js';
import type { Column, ColumnBatch } from '../schema/columns.js';

/** A series id value: a string, or an integer (number or bigint, as integer columns decode). */
export type SeriesIdValue = string | number | bigint;

type IdKind = 'string' | 'integer';
type RawIndex = number | Map<unknown, RawIndex>;

/**
 * The series of a source's rows: every distinct combination of the `seriesColumns` values is one series,
 * numbered in order of first appearance. Rows are mapped batch by batch to an `Int32Array` of series
 * numbers; a null id, an id column that is missing, or ids of two kinds in one column is a `SchemaError`
 * that names the column and the row.
 *
 * @example
 * const ids = new SeriesKeys(['coin', 'vs'], 'makeTfDataset');
 * const series = ids.indexRows(batch, rowOffset); // series number of every row
 */
export class SeriesKeys {
  readonly columns: readonly string[];
  /** Per series: its id values, one per series column. */
  readonly values: SeriesIdValue[][] = [];
  /** Per series: its key, a JSON array of its id values (how `NormalizationStats` names series). */
  readonly keys: string[] = [];
  readonly #fn: string;
  readonly #index = new Map<string, number>();
  /** Raw id values → (next column's map | series number), filled as values are first seen. */
  readonly #raw = new Map<unknown, RawIndex>();
  readonly #kinds: (IdKind | undefined)[];
  /** One integer series column: series number by id value, for ids in [0, DENSE_IDS), −1 when not yet seen. */
  #dense: Int32Array | null = null;

  constructor(columns: readonly string[], fn: string) {
    this.columns = columns;
    this.#fn = fn;
    this.#kinds = columns.map(() => undefined);
  }

  get count(): number {
    return this.values.length;
  }

  /** The series number of a key made by `keyOf`, or -1. */
  lookup(key: string): number {
    return this.#index.get(key) ?? -1;
  }

  /** Registers series in a given order (a previous dataset's), so numbering is stable across datasets. */
  preset(values: readonly (readonly SeriesIdValue[])[]): void {
    for (const v of values) {
      if (v.length !== this.columns.length) throw new ConfigError(`${this.#fn}: seriesOrder entries must have one value per series column (${this.columns.join(', ')}); received ${JSON.stringify(v, bigintJson)}`);
      this.#add(keyOf(v), [...v]);
    }
  }

  #add(key: string, values: SeriesIdValue[]): number {
    let i = this.#index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.#index.set(key, i);
      this.values.push(values);
      this.keys.push(key);
    }
    return i;
  }

  /**
   * The series number of every row of `batch` (rows numbered from `rowOffset` in messages). Raw id values
   * seen before resolve through a map of maps (one level per series column), so interleaved rows cost a map
   * lookup per column, not a key string; a value is checked and keyed only the first time it appears.
   */
  indexRows(batch: ColumnBatch, rowOffset: number, frozen = false, into?: Int32Array): Int32Array {
    const n = batch.numRows;
    // A caller that does not keep the result passes its own buffer: one array per batch is garbage per batch.
    const out = into && into.length >= n ? into.subarray(0, n) : new Int32Array(n);
    const cols = this.columns.map((name) => this.#column(batch, name, rowOffset));
    if (cols.length === 1 && isSmallIntArray(cols[0])) return this.#indexDense(cols[0], out, rowOffset, frozen);
    return this.#indexRaw(cols, out, 0, rowOffset, frozen);
  }

  /**
   * Integer ids from an integer typed array (the common case: one id column): a table lookup per row where
   * a map lookup costs several times more on interleaved rows. Ids outside the table go the general way.
   */
  #indexDense(col: SmallIntArray, out: Int32Array, rowOffset: number, frozen: boolean): Int32Array {
    const dense = (this.#dense ??= new Int32Array(DENSE_IDS).fill(-1));
    const n = col.length;
    for (let i = 0; i < n; i++) {
      const v = col[i]!;
      const s = v >= 0 && v < DENSE_IDS ? dense[v]! : -1;
      if (s >= 0) {
        out[i] = s;
        continue;
      }
      this.#indexRaw([col], out, i, rowOffset, frozen, i + 1);
      if (v >= 0 && v < DENSE_IDS) dense[v] = out[i]!;
    }
    return out;
  }

  #indexRaw(cols: ArrayLike<unknown>[], out: Int32Array, from: number, rowOffset: number, frozen: boolean, to = out.length): Int32Array {
    const n = to;
    const last = cols.length - 1;
    const ids: SeriesIdValue[] = new Array(cols.length);
    let prevIndex = -1;
    let prevRaw: unknown = undefined;
    for (let i = from; i < n; i++) {
      // Consecutive rows of one series (the sorted layout) skip the lookups.
      if (last === 0 && prevIndex >= 0 && cols[0]![i] === prevRaw) {
        out[i] = prevIndex;
        continue;
      }
      let level: Map<unknown, RawIndex> = this.#raw;
      for (let k = 0; k < last; k++) {
        const v = cols[k]![i];
        let next = level.get(v);
        if (next === undefined) {
          this.#checked(k, v, rowOffset + i);
          next = new Map();
          level.set(v, next);
        }
        level = next as Map<unknown, RawIndex>;
      }
      const v = cols[last]![i];
      let index = level.get(v) as number | undefined;
      if (index === undefined) {
        for (let k = 0; k <= last; k++) ids[k] = this.#checked(k, cols[k]![i], rowOffset + i);
        const key = keyOf(ids);
        index = frozen ? this.#known(key, rowOffset + i) : this.#add(key, [...ids]);
        level.set(v, index);
      }
      prevIndex = index;
      prevRaw = v;
      out[i] = index;
    }
    return out;
  }

  #known(key: string, row: number): number {
    const i = this.#index.get(key);
    if (i === undefined) throw new SchemaError(`${this.#fn}: row ${row} belongs to series ${key}, which the first pass did not see; the source changed between passes`, { row });
    return i;
  }

  #column(batch: ColumnBatch, name: string, rowOffset: number): ArrayLike<unknown> {
    const c: Column | undefined = batch.columns[name];
    if (c === undefined) throw new SchemaError(`${this.#fn}: the source yielded a batch (rows from ${rowOffset}) without series column "${name}"`, { field: name, row: rowOffset });
    return c as ArrayLike<unknown>;
  }

  #checked(k: number, v: unknown, row: number): SeriesIdValue {
    const name = this.columns[k]!;
    let kind: IdKind;
    if (typeof v === 'string') kind = 'string';
    else if (typeof v === 'bigint') kind = 'integer';
    else if (typeof v === 'number' && Number.isInteger(v)) kind = 'integer';
    else if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      throw new SchemaError(`${this.#fn}: series column "${name}" is null at row ${row}; every row needs a series id (filter such rows out, e.g. with filters: [['${name}', '!=', null]] upstream)`, { field: name, row, value: null });
    } else {
      throw new SchemaError(`${this.#fn}: series column "${name}" holds ${typeof v === 'number' ? `the non-integer ${v}` : `a ${typeof v}`} at row ${row}; series ids are strings or integers`, { field: name, row, value: v });
    }
    const seen = this.#kinds[k];
    if (seen === undefined) this.#kinds[k] = kind;
    else if (seen !== kind) {
      throw new SchemaError(`${this.#fn}: series column "${name}" mixes ${seen} and ${kind} ids (row ${row} holds ${JSON.stringify(v, bigintJson)}); use one type for a series column`, { field: name, row, value: v });
    }
    return typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : (v as SeriesIdValue);
  }
}

/** Ids below this resolve through a table (4 MiB) rather than a map. */
const DENSE_IDS = 1 << 20;

type SmallIntArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

function isSmallIntArray(c: ArrayLike<unknown>): c is SmallIntArray {
  return c instanceof Int32Array || c instanceof Int16Array || c instanceof Int8Array || c instanceof Uint8Array || c instanceof Uint16Array || c instanceof Uint32Array;
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? String(v) : v;
}

/** The key of a series: its id values as a JSON array (strings quoted, integers bare). */
export function keyOf(values: readonly SeriesIdValue[]): string {
  return JSON.stringify(values, bigintJson);
}
