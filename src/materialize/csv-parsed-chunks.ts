import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { CsvError, SchemaError } from '../errors.js';
import type { Unischema } from '../schema/unischema.js';
import { type CsvHeaderLayout, type CsvLayout, describeSupportedLayouts, detectCsvLayout } from './csv-layout.js';
import { type CsvImportReport, CsvChunkBuilder, fillRow, rejectLine } from './csv-rows.js';
import type { ColumnChunk } from './row-input.js';

/** Where the general reader starts: at the top of the file, or where the scanner handed over. */
export interface CsvResume {
  /** Lines before `input`'s first byte (0 at the top of the file). */
  linesBefore: number;
  /** The header, when already read. */
  layout: CsvLayout | null;
  /** The line end the file uses ('\n' or '\r\n'), when already known; else csv-parse detects it. */
  recordDelimiter?: string;
  /** Rows already read into the chunk being built. */
  builder?: CsvChunkBuilder;
}

/**
 * The general CSV reader (csv-parse, one record array per line): quoted fields, fields across lines, any
 * line end. Every cell is checked with the schema's rules; a bad line throws a `SchemaError` naming file,
 * line and field, or is skipped and reported under `skipInvalid`.
 */
export async function* parsedCsvChunks(
  input: Readable,
  path: string,
  schema: Unischema,
  layouts: readonly CsvHeaderLayout[],
  skipInvalid: boolean,
  report: CsvImportReport,
  resume: CsvResume = { linesBefore: 0, layout: null },
): AsyncGenerator<ColumnChunk> {
  const fields = schema.fields;
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, relax_quotes: false, ...(resume.recordDelimiter ? { record_delimiter: resume.recordDelimiter } : {}) });
  // pipe() does not forward read errors; without this a vanished file would hang the import.
  input.on('error', (err) => parser.destroy(err)).pipe(parser);
  let layout = resume.layout;
  const chunk = resume.builder ?? new CsvChunkBuilder(path, schema);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = resume.linesBefore + info.lines;
      if (!layout) {
        layout = detectCsvLayout(schema, record, layouts);
        if (!layout) throw new CsvError(`importCsv: ${path}:${line}: unrecognised header ${JSON.stringify(record.join(','))}; expected ${describeSupportedLayouts(schema, layouts)}`, path, line);
        report.layout = layout.name;
        continue;
      }
      const problem = fillRow(record, layout, fields, chunk.columns, chunk.numRows);
      if (problem === null) {
        if (chunk.commit(line)) yield chunk.take();
        continue;
      }
      rejectLine(path, line, problem, skipInvalid, report);
    }
  } catch (err) {
    if (err instanceof SchemaError || err instanceof CsvError) throw err;
    const e = err as Error & { lines?: number; code?: string };
    if (e.code === 'ENOENT') throw new CsvError(`importCsv: ${path}: file not found`, path, undefined, { cause: err });
    const line = e.lines ? resume.linesBefore + e.lines : undefined;
    throw new CsvError(`importCsv: ${path}${line ? `:${line}` : ''}: not readable as CSV: ${e.message.replace(/\bline (\d+)\b/g, (_, n: string) => `line ${resume.linesBefore + Number(n)}`)}`, path, line, { cause: err });
  }
  if (!layout) throw new CsvError(`importCsv: ${path}: the file is empty; expected a header ${describeSupportedLayouts(schema, layouts)}`, path);
  if (chunk.numRows > 0) yield chunk.take();
}
