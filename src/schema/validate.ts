import { SchemaError, describeValue } from '../errors.js';
import type { ColumnBatch } from './columns.js';
import { FLOAT32_MAX, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, type DType } from './dtype.js';
import { type NdArray, tensorArrayType } from './npy.js';
import type { Unischema, UnischemaField } from './unischema.js';

/** Where the rows being validated came from, so an error can point at the file and line. */
export interface RowOrigin {
  file?: string;
  /** Line of row 0 in `file` (1-based); row r is then on line `firstLine + r` unless `lines` says otherwise. */
  firstLine?: number;
  /** Exact source line per row when rows do not map to consecutive lines (skipped lines, multi-line fields). */
  lines?: ArrayLike<number>;
  /** Added to row indices in messages, so row numbers count from the start of the whole input. */
  rowOffset?: number;
}

/** Why a scalar value does not fit a dtype, or null when it fits. Row objects go through this. */
export function scalarProblem(dtype: DType, v: unknown): string | null {
  switch (dtype) {
    case 'float64':
      return typeof v !== 'number' ? 'must be a number' : Number.isFinite(v) ? null : 'must be a finite number';
    case 'float32':
      if (typeof v !== 'number') return 'must be a number';
      if (!Number.isFinite(v)) return 'must be a finite number';
      return Math.abs(v) > FLOAT32_MAX ? `is outside the float32 range (±${FLOAT32_MAX})` : null;
    case 'int32':
      return typeof v !== 'number' || !Number.isInteger(v) ? 'must be an integer number' : v < INT32_MIN || v > INT32_MAX ? 'is outside the int32 range' : null;
    case 'uint8':
      return typeof v !== 'number' || !Number.isInteger(v) ? 'must be an integer number' : v < 0 || v > 255 ? 'is outside the uint8 range 0..255' : null;
    case 'int64':
      if (typeof v === 'bigint') return v < INT64_MIN || v > INT64_MAX ? 'is outside the int64 range' : null;
      return typeof v === 'number' && Number.isSafeInteger(v) ? null : 'must be a bigint or a safe integer number';
    case 'bool':
      return typeof v === 'boolean' ? null : 'must be a boolean';
    case 'string':
      return typeof v === 'string' ? null : 'must be a string';
    case 'timestamp':
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'must be a valid Date' : null;
      return typeof v === 'number' && Number.isSafeInteger(v) ? null : 'must be a Date or integer epoch milliseconds (UTC)';
  }
}

function tensorProblem(field: UnischemaField, v: unknown): string | null {
  const t = v as NdArray;
  if (typeof v !== 'object' || v === null || !Array.isArray(t.shape) || !ArrayBuffer.isView(t.data)) return 'must be an ndarray { shape: number[], data: TypedArray }';
  const Ctor = tensorArrayType(field.dtype as never);
  if (!(t.data instanceof Ctor)) return `must hold a ${Ctor.name} for dtype ${field.dtype}; got ${t.data.constructor.name}`;
  const shapeOk = t.shape.length === field.shape.length && field.shape.every((d, i) => d === null || d === t.shape[i]);
  if (!shapeOk) return `has shape [${t.shape.join(', ')}], expected [${field.shape.map((d) => d ?? 'any').join(', ')}]`;
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) return `has ${t.data.length} elements, shape [${t.shape.join(', ')}] needs ${count}`;
  if (field.dtype === 'float32' || field.dtype === 'float64') {
    const d = t.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return `holds a non-finite element at flat index ${i}`;
  }
  return null;
}

function locate(row: number, origin: RowOrigin | undefined): { text: string; row: number; line?: number; file?: string } {
  const absRow = row + (origin?.rowOffset ?? 0);
  const line = origin?.lines ? origin.lines[row] : origin?.firstLine !== undefined ? origin.firstLine + row : undefined;
  const where = origin?.file ? ` (${origin.file}${line !== undefined ? `:${line}` : ''})` : line !== undefined ? ` (line ${line})` : '';
  return { text: `row ${absRow}${where}`, row: absRow, line, file: origin?.file };
}

function fail(schema: Unischema, field: UnischemaField | string, row: number, origin: RowOrigin | undefined, problem: string, value: unknown): never {
  const name = typeof field === 'string' ? field : field.name;
  const label = typeof field === 'string' ? '' : ` (${field.dtype}${field.shape.length ? `[${field.shape.map((d) => d ?? 'None').join(', ')}]` : ''}${field.nullable ? ', nullable' : ''})`;
  const at = locate(row, origin);
  throw new SchemaError(`${schema.name}: ${at.text}: field ${JSON.stringify(name)}${label} ${problem}; received ${describeValue(value)}`, {
    field: name,
    row: at.row,
    line: at.line,
    file: at.file,
    value,
  });
}

/**
 * Returns a function that checks one row object against `schema` and throws a `SchemaError` naming the
 * field, row (and file/line when known) and value. Compiled once per schema so the per-row cost is a loop.
 *
 * @example
 * const check = compileRowValidator(schema);
 * rows.forEach((row, i) => check(row, i));
 */
export function compileRowValidator(schema: Unischema): (row: Record<string, unknown>, rowIndex: number, origin?: RowOrigin) => void {
  const fields = schema.fields;
  const known = new Set(schema.fieldNames);
  return (row, rowIndex, origin) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      const at = locate(rowIndex, origin);
      throw new SchemaError(`${schema.name}: ${at.text} must be an object with fields ${schema.fieldNames.join(', ')}; received ${describeValue(row)}`, { row: at.row, value: row });
    }
    let present = 0;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = row[f.name];
      if (v === undefined || v === null) {
        if (v === null || f.name in row) present++;
        if (!f.nullable) fail(schema, f, rowIndex, origin, v === undefined && !(f.name in row) ? 'is missing (the field is not nullable)' : 'is null (the field is not nullable)', v);
        continue;
      }
      present++;
      const problem = f.codec === 'ndarray' ? tensorProblem(f, v) : scalarProblem(f.dtype, v);
      if (problem !== null) fail(schema, f, rowIndex, origin, problem, v);
    }
    if (present !== Object.keys(row).length) {
      const extra = Object.keys(row).find((k) => !known.has(k))!;
      fail(schema, extra, rowIndex, origin, `is not in the schema (fields: ${schema.fieldNames.join(', ')})`, row[extra]);
    }
  };
}

/**
 * Checks columnar rows without building row objects: types per column, lengths, NaN/null rules, ranges.
 * Numeric columns are typed arrays of the field's type (float32 also accepts a Float64Array, which is
 * range-checked and rounded when written); in nullable float/timestamp columns NaN means null. A JS array
 * with `null`s is accepted for any scalar field (the form nullable integer columns need).
 *
 * @example
 * validateColumns(schema, { numRows: 2, columns: { timestamp: Float64Array.of(t0, t1), price_usd: Float32Array.of(1, 2) } });
 */
export function validateColumns(schema: Unischema, batch: ColumnBatch, origin?: RowOrigin): void {
  const n = batch.numRows;
  for (const name of Object.keys(batch.columns)) if (!schema.has(name)) fail(schema, name, 0, origin, `is not in the schema (fields: ${schema.fieldNames.join(', ')})`, batch.columns[name]);
  for (const f of schema.fields) {
    const col = batch.columns[f.name];
    if (col === undefined) {
      const at = locate(0, origin);
      throw new SchemaError(`${schema.name}: column ${JSON.stringify(f.name)} is missing from the input${origin?.file ? ` (${origin.file})` : ''}; ${at.text} onward`, { field: f.name, file: origin?.file });
    }
    if (col.length !== n) throw new SchemaError(`${schema.name}: column ${JSON.stringify(f.name)} has ${col.length} values, expected numRows = ${n}`, { field: f.name, file: origin?.file });
    if (Array.isArray(col)) {
      // JS arrays: strings, bools, tensors, and numeric fields that need explicit nulls (nullable integers).
      for (let r = 0; r < n; r++) {
        const v = col[r];
        if (v === null || v === undefined) {
          if (!f.nullable) fail(schema, f, r, origin, 'is null (the field is not nullable)', v);
          continue;
        }
        const problem = f.codec === 'ndarray' ? tensorProblem(f, v) : scalarProblem(f.dtype, v);
        if (problem !== null) fail(schema, f, r, origin, problem, v);
      }
      continue;
    }
    if (f.codec === 'ndarray' || f.dtype === 'string' || f.dtype === 'bool') fail(schema, f, 0, origin, 'must be a JS array column', col);
    checkNumericColumn(schema, f, col, n, origin);
  }
}

function checkNumericColumn(schema: Unischema, f: UnischemaField, col: unknown, n: number, origin: RowOrigin | undefined): void {
  const expected = {
    float32: [Float32Array, Float64Array],
    float64: [Float64Array],
    timestamp: [Float64Array],
    int32: [Int32Array],
    uint8: [Uint8Array],
    int64: [BigInt64Array],
  }[f.dtype as 'float32'];
  if (!expected || !expected.some((C) => col instanceof C)) {
    fail(schema, f, 0, origin, `column must be a ${expected?.map((C) => C.name).join(' or ') ?? 'typed array'}`, col);
  }
  if (f.dtype === 'float32' || f.dtype === 'float64' || f.dtype === 'timestamp') {
    const a = col as Float32Array | Float64Array;
    const isTs = f.dtype === 'timestamp';
    const limit = f.dtype === 'float32' ? FLOAT32_MAX : Number.MAX_VALUE;
    for (let r = 0; r < n; r++) {
      const v = a[r]!;
      // One comparison catches NaN, ±Infinity and float32 overflow; the slow path only runs on a hit.
      if (!(v <= limit && v >= -limit) || (isTs && v !== Math.floor(v))) {
        if (v !== v) {
          if (f.nullable) continue;
          fail(schema, f, r, origin, 'is NaN or missing (the field is not nullable)', v);
        }
        fail(schema, f, r, origin, isTs ? 'must be integer epoch milliseconds' : f.dtype === 'float32' && Number.isFinite(v) ? `is outside the float32 range (±${FLOAT32_MAX})` : 'must be a finite number', v);
      }
    }
  }
}
