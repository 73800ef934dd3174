import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, CsvError } from '../errors.js';
import { parseOptions } from '../options.js';
import type { Unischema } from '../schema/unischema.js';
import { parsedCsvChunks } from './csv-parsed-chunks.js';
import type { CsvImportReport } from './csv-rows.js';
import { scannedCsvChunks } from './csv-scan.js';
import { checkMaterializeRules, type MaterializeResult, materializeDataset, materializeOptionsShape } from './materialize.js';

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

/** Internal switch for differential tests: read every CSV with the general reader (csv-parse). */
export const csvImportSettings = { scanner: true };

/**
 * Imports a CSV into a store of `schema`: the header names the schema's fields (in any order; nullable ones
 * may be missing), or matches one of `layouts`. Every cell is parsed into typed columns (no per-row
 * objects) and checked with the schema's rules; a bad line throws a `SchemaError` naming file, line and
 * field, or is skipped and reported under `skipInvalid`. Unquoted lines are scanned as bytes (numbers parsed
 * straight into the columns); from the first quoted field on, csv-parse reads the rest, with the same
 * values, messages and line numbers.
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
  const report: CsvImportReport = { skipped: [], skippedCount: 0 };
  const chunks = csvImportSettings.scanner ? scannedCsvChunks(csvPath, schema, layouts, skipInvalid, report) : parsedCsvChunks(createReadStream(csvPath), csvPath, schema, layouts, skipInvalid, report);
  const result = await materializeDataset(storeUrl, schema, chunks, materializeOptions);
  return { ...result, layout: report.layout!, skipped: report.skippedCount, skippedLines: report.skipped };
}
