import type { ColumnBatch } from '../schema/columns.js';
import { fractionRanges, type RowRange } from '../windowing/split.js';
import type { WindowSource } from '../windowing/window-source.js';

async function countRows(source: WindowSource): Promise<number> {
  if (source.numRows !== undefined) return source.numRows;
  let n = 0;
  for await (const b of source.open(source.columns.slice(0, 1))) n += b.numRows;
  return n;
}

function slice(col: ColumnBatch['columns'][string], from: number, to: number): ColumnBatch['columns'][string] {
  return ArrayBuffer.isView(col) ? (col as Float64Array).subarray(from, to) : (col as unknown[]).slice(from, to) as never;
}

/**
 * The rows of one split part (`fractionRanges`, the same cut `makeTfDataset` makes) as a source of its own.
 *
 * Why: `WindowAssembler` (src/windowing) mis-addresses its carry buffer when a split part starts more than
 * ~4,100 rows into the source (`bufStart` stays 0 while the rows before the part are skipped), so the
 * validation and test windows of a long series crash. Windowing a part's own rows gives the same windows
 * (its first row is the log-return lead, as under `split`) and does not depend on that code path.
 */
export async function partSource(source: WindowSource, split: { train: number; validation: number; test: number }, part: 'train' | 'validation' | 'test'): Promise<{ source: WindowSource; range: RowRange }> {
  const numRows = await countRows(source);
  const range = fractionRanges(split, numRows)[part]!;
  return {
    range,
    source: {
      columns: source.columns,
      numRows: range.end - range.start,
      async *open(wanted) {
        let at = 0;
        for await (const batch of source.open(wanted)) {
          const from = Math.max(range.start, at);
          const to = Math.min(range.end, at + batch.numRows);
          if (to > from) {
            const out: ColumnBatch = { numRows: to - from, columns: {} };
            for (const [name, col] of Object.entries(batch.columns)) out.columns[name] = slice(col, from - at, to - at);
            yield out;
          }
          at += batch.numRows;
          if (at >= range.end) return;
        }
      },
    },
  };
}
