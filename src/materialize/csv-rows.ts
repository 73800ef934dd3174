import { describeValue, SchemaError } from '../errors.js';
import type { Column } from '../schema/columns.js';
import type { Unischema, UnischemaField } from '../schema/unischema.js';
import { scalarProblem } from '../schema/validate.js';
import type { CsvLayout } from './csv-layout.js';
import { parseCell } from './csv-values.js';
import type { ColumnChunk } from './row-input.js';

/** Rows per column chunk handed to materializeDataset. */
export const CSV_CHUNK_ROWS = 65_536;

/** Why a CSV line is refused: the field (when one is at fault), the message and the offending text. */
export interface CsvLineProblem {
  field?: string;
  message: string;
  value?: string;
}

/** What an import reports besides the store: the header recognised and the lines skipped under `skipInvalid`. */
export interface CsvImportReport {
  layout?: string;
  skipped: { line: number; reason: string }[];
  skippedCount: number;
}

/** Typed storage for one field of a chunk; nullable non-float fields keep `null` in a JS array. */
function allocColumn(f: UnischemaField, n: number): Column {
  if (f.dtype === 'float32') return new Float32Array(n);
  if (f.dtype === 'float64' || f.dtype === 'timestamp') return new Float64Array(n);
  if (!f.nullable && f.dtype === 'int32') return new Int32Array(n);
  if (!f.nullable && f.dtype === 'uint8') return new Uint8Array(n);
  if (!f.nullable && f.dtype === 'int64') return new BigInt64Array(n);
  return new Array(n);
}

/**
 * The rows of one chunk, column by column, with the source line of each: both CSV readers fill it in place
 * (row `numRows` is written, then kept by `commit`), so no per-row object is made.
 */
export class CsvChunkBuilder {
  readonly #path: string;
  readonly #fields: readonly UnischemaField[];
  columns: Column[] = [];
  lines = new Int32Array(CSV_CHUNK_ROWS);
  numRows = 0;

  constructor(path: string, schema: Unischema) {
    this.#path = path;
    this.#fields = schema.fields;
    this.#fresh();
  }

  #fresh(): void {
    this.columns = this.#fields.map((f) => allocColumn(f, CSV_CHUNK_ROWS));
    this.lines = new Int32Array(CSV_CHUNK_ROWS);
    this.numRows = 0;
  }

  /** Keeps row `numRows` (read from `line`); true when the chunk is full. */
  commit(line: number): boolean {
    this.lines[this.numRows++] = line;
    return this.numRows === CSV_CHUNK_ROWS;
  }

  /** The committed rows as a chunk; the builder starts a new one. */
  take(): ColumnChunk {
    const n = this.numRows;
    const cols = this.columns.map((c) => (ArrayBuffer.isView(c) ? (c as Float64Array).subarray(0, n) : (c as unknown[]).slice(0, n))) as Column[];
    const chunk: ColumnChunk = {
      batch: { numRows: n, columns: Object.fromEntries(this.#fields.map((f, i) => [f.name, cols[i]!])) },
      origin: { file: this.#path, lines: this.lines.subarray(0, n) },
    };
    this.#fresh();
    return chunk;
  }
}

function label(f: UnischemaField, layout: CsvLayout, c: number): string {
  return `field ${JSON.stringify(f.name)} (${f.dtype}${f.nullable ? ', nullable' : ''})${c !== -1 && layout.header[c] !== f.name ? ` from column ${JSON.stringify(layout.header[c])}` : ''}`;
}

/**
 * Parses the text of field `i` (CSV column `c`, -1 when the CSV has none) into `col[r]` with the schema's
 * rules, or says why it cannot. Both CSV readers go through it for every cell they do not parse themselves.
 */
export function fillCell(text: string, f: UnischemaField, layout: CsvLayout, c: number, col: Column, r: number): CsvLineProblem | null {
  if (text.includes('\uFFFD')) return { field: f.name, message: `${label(f, layout, c)} is not valid UTF-8 text`, value: text };
  const v = parseCell(f.dtype, text);
  if (v === null) {
    if (!f.nullable) return { field: f.name, message: `${label(f, layout, c)} is empty (the field is not nullable)`, value: text };
    if (ArrayBuffer.isView(col)) (col as Float64Array)[r] = NaN;
    else (col as unknown[])[r] = null;
    return null;
  }
  if (typeof v === 'number' && Number.isNaN(v)) return { field: f.name, message: `${label(f, layout, c)}: cannot parse ${describeValue(text)} as ${f.dtype === 'timestamp' ? 'a UTC timestamp' : f.dtype}`, value: text };
  const problem = scalarProblem(f.dtype, v);
  if (problem !== null) return { field: f.name, message: `${label(f, layout, c)} ${problem}; received ${describeValue(text)}`, value: text };
  (col as unknown[])[r] = v;
  return null;
}

/** Fills row `r` of `columns` from one CSV record, or returns the first problem (schema field order). */
export function fillRow(record: string[], layout: CsvLayout, fields: readonly UnischemaField[], columns: Column[], r: number): CsvLineProblem | null {
  if (record.length !== layout.header.length) return { message: `has ${record.length} columns, the header has ${layout.header.length}` };
  for (let i = 0; i < fields.length; i++) {
    const c = layout.columnOf[i]!;
    const problem = fillCell(c === -1 ? '' : record[c]!, fields[i]!, layout, c, columns[i]!, r);
    if (problem) return problem;
  }
  return null;
}

/** A refused line: throws the `SchemaError` naming file, line and field, or (under `skipInvalid`) records it. */
export function rejectLine(path: string, line: number, problem: CsvLineProblem, skipInvalid: boolean, report: CsvImportReport): void {
  if (!skipInvalid) {
    throw new SchemaError(`importCsv: ${path}:${line}: ${problem.message}; fix the line, or pass skipInvalid (--skip-invalid) to write the good rows and report this one`, {
      file: path,
      line,
      field: problem.field,
      value: problem.value,
    });
  }
  report.skippedCount++;
  if (report.skipped.length < 20) report.skipped.push({ line, reason: problem.message });
}
