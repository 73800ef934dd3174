import { parse } from 'csv-parse';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, CsvError, SchemaError, describeValue } from '../errors.js';
import { parseOptions } from '../options.js';
import type { Column } from '../schema/columns.js';
import type { Unischema, UnischemaField } from '../schema/unischema.js';
import { scalarProblem } from '../schema/validate.js';
import { type CsvHeaderLayout, type CsvLayout, describeSupportedLayouts, detectCsvLayout } from './csv-layout.js';
import { parseCell } from './csv-values.js';
import { checkMaterializeRules, type MaterializeResult, materializeDataset, materializeOptionsShape } from './materialize.js';
import type { ColumnChunk } from './row-input.js';

/** Options of `importCsv`: `materializeOptionsShape` plus how the CSV is read. */
export const importCsvOptionsShape = {
  ...materializeOptionsShape,
  /** Write the good rows and report bad lines instead of stopping at the first one. Default false. */
  skipInvalid: z.boolean().default(false),
  /**
   * Other headers the CSV may have (e.g. an exchange export), each mapping CSV column names to schema fields.
   * The schema's own field names are always recognised. Default: none.
   */
  layouts: z.array(z.strictObject({ name: z.string().min(1), columns: z.record(z.string(), z.string()) })).default([]),
};
export const importCsvOptionsSchema: z.ZodObject<typeof importCsvOptionsShape, z.core.$strict> = z.strictObject(importCsvOptionsShape);

/** Options of `importCsv`; see `importCsvOptionsShape`. */
export type ImportCsvOptions = z.input<typeof importCsvOptionsSchema>;

export interface SkippedLine {
  line: number;
  reason: string;
}

export interface ImportCsvResult extends MaterializeResult {
  /** Which header was recognised: 'schema' (the field names) or the name of one of `layouts`. */
  layout: string;
  /** Lines skipped under `skipInvalid` (always 0 otherwise). */
  skipped: number;
  /** The first 20 skipped lines with the reason. */
  skippedLines: SkippedLine[];
}

const CHUNK_ROWS = 65_536;

/** Typed storage for one field of a chunk; nullable non-float fields keep `null` in a JS array. */
function allocColumn(f: UnischemaField, n: number): Column {
  if (f.dtype === 'float32') return new Float32Array(n);
  if (f.dtype === 'float64' || f.dtype === 'timestamp') return new Float64Array(n);
  if (!f.nullable && f.dtype === 'int32') return new Int32Array(n);
  if (!f.nullable && f.dtype === 'uint8') return new Uint8Array(n);
  if (!f.nullable && f.dtype === 'int64') return new BigInt64Array(n);
  return new Array(n);
}

function trimColumns(columns: Column[], n: number): Column[] {
  return columns.map((c) => (ArrayBuffer.isView(c) ? (c as Float64Array).subarray(0, n) : (c as unknown[]).slice(0, n))) as Column[];
}

/**
 * Reads a price CSV into column chunks without per-row objects. Every cell is checked with the schema's
 * own rules; a bad line throws a `SchemaError` naming file, line and field, or is skipped and reported.
 */
async function* csvChunks(path: string, schema: Unischema, layouts: readonly CsvHeaderLayout[], skipInvalid: boolean, report: { layout?: string; skipped: SkippedLine[]; skippedCount: number }): AsyncGenerator<ColumnChunk> {
  const fields = schema.fields;
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, relax_quotes: false });
  // pipe() does not forward read errors; without this a vanished file would hang the import.
  createReadStream(path).on('error', (err) => parser.destroy(err)).pipe(parser);
  let layout: CsvLayout | null = null;
  let columns: Column[] = [];
  let lines = new Int32Array(CHUNK_ROWS);
  let n = 0;
  const fresh = () => {
    columns = fields.map((f) => allocColumn(f, CHUNK_ROWS));
    lines = new Int32Array(CHUNK_ROWS);
    n = 0;
  };
  const emit = (): ColumnChunk => {
    const cols = trimColumns(columns, n);
    const chunk: ColumnChunk = {
      batch: { numRows: n, columns: Object.fromEntries(fields.map((f, i) => [f.name, cols[i]!])) },
      origin: { file: path, lines: lines.subarray(0, n) },
    };
    fresh();
    return chunk;
  };
  fresh();
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!layout) {
        layout = detectCsvLayout(schema, record, layouts);
        if (!layout) throw new CsvError(`importCsv: ${path}:${line}: unrecognised header ${JSON.stringify(record.join(','))}; expected ${describeSupportedLayouts(schema, layouts)}`, path, line);
        report.layout = layout.name;
        continue;
      }
      const problem = fillRow(record, layout, fields, columns, n);
      if (problem === null) {
        lines[n++] = line;
        if (n === CHUNK_ROWS) yield emit();
        continue;
      }
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
  } catch (err) {
    if (err instanceof SchemaError || err instanceof CsvError) throw err;
    const e = err as Error & { lines?: number; code?: string };
    if (e.code === 'ENOENT') throw new CsvError(`importCsv: ${path}: file not found`, path, undefined, { cause: err });
    throw new CsvError(`importCsv: ${path}${e.lines ? `:${e.lines}` : ''}: not readable as CSV: ${e.message}`, path, e.lines, { cause: err });
  }
  if (!layout) throw new CsvError(`importCsv: ${path}: the file is empty; expected a header ${describeSupportedLayouts(schema, layouts)}`, path);
  if (n > 0) yield emit();
}

function fillRow(record: string[], layout: CsvLayout, fields: readonly UnischemaField[], columns: Column[], r: number): { field?: string; message: string; value?: string } | null {
  if (record.length !== layout.header.length) return { message: `has ${record.length} columns, the header has ${layout.header.length}` };
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const c = layout.columnOf[i]!;
    const text = c === -1 ? '' : record[c]!;
    const label = `field ${JSON.stringify(f.name)} (${f.dtype}${f.nullable ? ', nullable' : ''})${c !== -1 && layout.header[c] !== f.name ? ` from column ${JSON.stringify(layout.header[c])}` : ''}`;
    if (text.includes('\uFFFD')) return { field: f.name, message: `${label} is not valid UTF-8 text`, value: text };
    const v = parseCell(f.dtype, text);
    const col = columns[i]!;
    if (v === null) {
      if (!f.nullable) return { field: f.name, message: `${label} is empty (the field is not nullable)`, value: text };
      if (ArrayBuffer.isView(col)) (col as Float64Array)[r] = NaN;
      else (col as unknown[])[r] = null;
      continue;
    }
    if (typeof v === 'number' && Number.isNaN(v)) return { field: f.name, message: `${label}: cannot parse ${describeValue(text)} as ${f.dtype === 'timestamp' ? 'a UTC timestamp' : f.dtype}`, value: text };
    const problem = scalarProblem(f.dtype, v);
    if (problem !== null) return { field: f.name, message: `${label} ${problem}; received ${describeValue(text)}`, value: text };
    (col as unknown[])[r] = v;
  }
  return null;
}

/**
 * Imports a CSV into a store of `schema`: the header names the schema's fields (in any order; nullable ones
 * may be missing), or matches one of `layouts`. Every cell is parsed into typed columns (no per-row
 * objects) and checked with the schema's rules; a bad line throws a `SchemaError` naming file, line and
 * field, or is skipped and reported under `skipInvalid`.
 *
 * @example
 * const r = await importCsv('prices.csv', './store', PriceSchema, { rowGroupSize: 10_000, sortBy: 'timestamp' });
 * console.log(`${r.numRows} rows, ${r.skipped} skipped`);
 */
export async function importCsv(csvPath: string, storeUrl: string | URL, schema: Unischema, options: ImportCsvOptions = {}): Promise<ImportCsvResult> {
  const { skipInvalid, layouts, ...materializeOptions } = parseOptions('importCsv', importCsvOptionsSchema, options);
  checkMaterializeRules(schema, materializeOptions);
  const tensor = schema.fields.find((f) => f.codec === 'ndarray');
  if (tensor) throw new ConfigError(`importCsv: field ${JSON.stringify(tensor.name)} is a tensor (ndarray codec); CSV import supports scalar fields only`);
  try {
    if (!(await stat(csvPath)).isFile()) throw new CsvError(`importCsv: ${csvPath} is not a file`, csvPath);
  } catch (err) {
    if (err instanceof CsvError) throw err;
    throw new CsvError(`importCsv: ${csvPath}: file not found`, csvPath, undefined, { cause: err });
  }
  const report: { layout?: string; skipped: SkippedLine[]; skippedCount: number } = { skipped: [], skippedCount: 0 };
  const result = await materializeDataset(storeUrl, schema, csvChunks(csvPath, schema, layouts, skipInvalid, report), materializeOptions);
  return { ...result, layout: report.layout!, skipped: report.skippedCount, skippedLines: report.skipped };
}
