// Case 4, a CSV parsed by a competent parser: uDSV (one of the fastest JS CSV parsers) streams the same data
// as CSV into typed feature columns (no accumulation of row arrays; columns grow by doubling), then
// `handWindowsDataset` assembles the windows as in case 2. Timed from opening the file to the last batch.
import { createReadStream } from 'node:fs';
import { inferSchema, initParser, type Parser } from 'udsv';
import { featureNames } from '../data.js';
import type { CaseMeasure, CaseParams } from '../measure.js';
import { handWindowsDataset, readThenWindow } from './hand-assembly.js';

/** The F feature columns of the CSV as Float32Arrays (the first `limit` rows if given). */
export async function parsedCsvColumns(p: CaseParams, limit = Infinity): Promise<{ numRows: number; columns: Float32Array[] }> {
  const names = featureNames(p.features);
  let columns = names.map(() => new Float32Array(1 << 16));
  let numRows = 0;
  let index: number[] = [];
  let parser: Parser | null = null;
  const onRow = (row: unknown[]) => {
    if (numRows === limit) return false;
    if (numRows === columns[0]!.length) {
      columns = columns.map((c) => {
        const grown = new Float32Array(c.length * 2);
        grown.set(c);
        return grown;
      });
    }
    for (let f = 0; f < index.length; f++) columns[f]![numRows] = row[index[f]!] as number;
    numRows++;
  };
  const stream = createReadStream(p.csvPath, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const text of stream as AsyncIterable<string>) {
    if (!parser) {
      const schema = inferSchema(text);
      parser = initParser(schema);
      index = names.map((n) => schema.cols.findIndex((c) => c.name === n));
    }
    parser.chunk<unknown[]>(text, parser.typedArrs as never, onRow);
    if (numRows === limit) break;
  }
  stream.destroy();
  // The last line has no newline after it: end() parses it (a parse stopped by onRow has already reset).
  if (numRows < limit) parser?.end();
  return { numRows, columns: columns.map((c) => c.subarray(0, numRows)) };
}

export default function csvParsed(p: CaseParams): Promise<CaseMeasure> {
  return readThenWindow(p, parsedCsvColumns, handWindowsDataset);
}
