import type { Column, ColumnBatch } from '../schema/columns.js';
import type { ColumnStatistics } from '../store/open-store.js';

export const FILTER_OPS = ['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'not in'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];
export type FilterValue = number | bigint | string | boolean | Date;
/** `[column, op, value]`; for 'in' / 'not in' the value is an array. All predicates must hold (AND). */
export type FilterPredicate = readonly [string, FilterOp, FilterValue | readonly FilterValue[]];

type Scalar = number | bigint | string | boolean;

function norm(v: FilterValue): Scalar {
  return v instanceof Date ? v.getTime() : v;
}

function cmp(a: Scalar, b: Scalar): number | null {
  // int64 columns hold bigints and users write numbers: compare as numbers (exact below 2^53).
  if (typeof a === 'bigint' && typeof b === 'number') a = Number(a);
  if (typeof b === 'bigint' && typeof a === 'number') b = Number(b);
  if (typeof a !== typeof b) return null;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether statistics prove that no row of the row group can satisfy the predicate. */
function cannotMatch(s: ColumnStatistics | undefined, op: FilterOp, value: FilterValue | readonly FilterValue[]): boolean {
  if (!s || s.min === null || s.max === null) return false;
  const { min, max } = s;
  const lo = (v: Scalar) => cmp(v, min as Scalar);
  const hi = (v: Scalar) => cmp(v, max as Scalar);
  if (op === 'in') {
    const vals = (value as readonly FilterValue[]).map(norm);
    return vals.every((v) => {
      const a = lo(v);
      const b = hi(v);
      return a !== null && b !== null && (a < 0 || b > 0);
    });
  }
  if (op === 'not in' || op === '!=') {
    const vals = op === '!=' ? [norm(value as FilterValue)] : (value as readonly FilterValue[]).map(norm);
    return vals.some((v) => cmp(min as Scalar, max as Scalar) === 0 && cmp(v, min as Scalar) === 0) && (s.nullCount ?? 1) === 0;
  }
  const v = norm(value as FilterValue);
  const a = lo(v);
  const b = hi(v);
  if (a === null || b === null) return false;
  switch (op) {
    case '=':
    case '==':
      return a < 0 || b > 0;
    case '<':
      return a <= 0; // v <= min: no value < v
    case '<=':
      return a < 0;
    case '>':
      return b >= 0;
    case '>=':
      return b > 0;
  }
}

/** Row-group pruning: false when the statistics prove no row matches every predicate. */
export function mayMatch(stats: Record<string, ColumnStatistics>, filters: readonly FilterPredicate[]): boolean {
  return !filters.some(([col, op, value]) => cannotMatch(stats[col], op, value));
}

function test(v: unknown, op: FilterOp, value: FilterValue | readonly FilterValue[]): boolean {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return false;
  const x = v as Scalar;
  if (op === 'in' || op === 'not in') {
    const hit = (value as readonly FilterValue[]).some((w) => cmp(x, norm(w)) === 0);
    return op === 'in' ? hit : !hit;
  }
  const c = cmp(x, norm(value as FilterValue));
  if (c === null) return op === '!=';
  switch (op) {
    case '=':
    case '==':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

/** Indices of the rows of `batch` that satisfy every predicate (null never matches), or null when all do. */
export function matchingRows(batch: ColumnBatch, filters: readonly FilterPredicate[]): Uint32Array | null {
  if (filters.length === 0) return null;
  const keep = new Uint8Array(batch.numRows).fill(1);
  for (const [col, op, value] of filters) {
    const c = batch.columns[col] as ArrayLike<unknown>;
    for (let i = 0; i < batch.numRows; i++) if (keep[i] && !test(c[i], op, value)) keep[i] = 0;
  }
  let n = 0;
  for (let i = 0; i < keep.length; i++) n += keep[i]!;
  if (n === batch.numRows) return null;
  const idx = new Uint32Array(n);
  for (let i = 0, j = 0; i < keep.length; i++) if (keep[i]) idx[j++] = i;
  return idx;
}

/** The rows `idx` of a column, in the column's own representation. */
export function takeRows(c: Column, idx: Uint32Array): Column {
  if (ArrayBuffer.isView(c)) {
    const src = c as unknown as { length: number; [i: number]: unknown; constructor: new (n: number) => Record<number, unknown> };
    const out = new src.constructor(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]!];
    return out as unknown as Column;
  }
  const arr = c as unknown[];
  const out = new Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = arr[idx[i]!];
  return out as Column;
}
