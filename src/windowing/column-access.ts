import type { Column } from '../schema/columns.js';
import { TfplError } from '../errors.js';

/** Numbers a hot loop can index without branching on the column type. */
export type NumberColumn = Exclude<ArrayLike<number>, string> & { readonly length: number };

/**
 * A batch column as indexable numbers: typed arrays as they are; int64 (`BigInt64Array`) and
 * number-or-null arrays converted once per batch (null → NaN). Other columns are rejected.
 */
export function numberColumn(fn: string, name: string, column: Column | undefined, numRows: number): NumberColumn {
  if (column === undefined) throw new TfplError('ERR_WINDOW_SOURCE', `${fn}: the source yielded a batch without column "${name}"; the source must deliver every requested column`);
  if (column.length !== numRows) throw new TfplError('ERR_WINDOW_SOURCE', `${fn}: column "${name}" has ${column.length} values in a batch of ${numRows} rows`);
  if (column instanceof BigInt64Array) {
    const out = new Float64Array(numRows);
    for (let i = 0; i < numRows; i++) out[i] = Number(column[i]);
    return out;
  }
  if (ArrayBuffer.isView(column)) return column as NumberColumn;
  const out = new Float64Array(numRows);
  for (let i = 0; i < numRows; i++) {
    const v = column[i];
    if (v === null || v === undefined) out[i] = NaN;
    else if (typeof v === 'number') out[i] = v;
    else if (typeof v === 'bigint') out[i] = Number(v);
    else throw new TfplError('ERR_WINDOW_SOURCE', `${fn}: column "${name}" is not numeric (row ${i} of a batch holds ${typeof v}); windows take numeric columns only`);
  }
  return out;
}
