import { expect } from 'chai';
import { compactedPartRows, planCompaction } from '../../src/materialize/compaction-plan.js';
import type { StoreFile, StoreRowGroup } from '../../src/store/open-store.js';

/** A store's files and row groups from `name: [rows of each row group]`, in store order. */
function layout(parts: Record<string, number[]>): { files: StoreFile[]; rowGroups: StoreRowGroup[] } {
  const files: StoreFile[] = [];
  const rowGroups: StoreRowGroup[] = [];
  for (const [path, rgs] of Object.entries(parts)) {
    files.push({ path, numRows: rgs.reduce((a, b) => a + b, 0), rowGroups: rgs.length, byteLength: 1 });
    rgs.forEach((numRows, index) => rowGroups.push({ ordinal: rowGroups.length, file: path, index, numRows, byteLength: 1, stats: {}, partition: {} }));
  }
  return { files, rowGroups };
}

describe('planCompaction', () => {
  const o = { rowGroupSize: 100, maxRowsPerFile: 400 };

  it('merges only consecutive small parts: a part with a full row group splits the runs and is never rewritten', () => {
    const { files, rowGroups } = layout({ a: [4], b: [4], big: [100, 7], c: [4], d: [4], e: [4], f: [100] });
    const plan = planCompaction(files, rowGroups, o);
    expect(plan.runs).to.deep.equal([
      { files: ['a', 'b'], rows: 8, rowGroups: 2 },
      { files: ['c', 'd', 'e'], rows: 12, rowGroups: 3 },
    ]);
    expect(plan.smallParts).to.equal(5);
  });

  it('keeps a run only when rewriting it makes fewer row groups or fewer files', () => {
    // one part of one row group: nothing to gain; one part of many small row groups: fewer row groups
    expect(planCompaction(...Object.values(layout({ a: [40] })) as [StoreFile[], StoreRowGroup[]], o).runs).to.deep.equal([]);
    expect(planCompaction(...Object.values(layout({ a: [40, 40, 40] })) as [StoreFile[], StoreRowGroup[]], o).runs).to.deep.equal([{ files: ['a'], rows: 120, rowGroups: 3 }]);
  });

  it('cuts a run at maxRowsPerFile rows (or one part), so a compaction holds at most that many rows at a time', () => {
    const { files, rowGroups } = layout({ a: [50, 50, 50, 50], b: [50, 50, 50, 50], c: [50, 50], d: [99, 99, 99, 99, 99, 99] });
    const { runs } = planCompaction(files, rowGroups, o);
    expect(runs.map((r) => [r.files, r.rows, r.rowGroups])).to.deep.equal([
      [['a', 'b'], 400, 8],
      [['c'], 100, 2],
    ]);
    // d (594 rows) is a run of its own past maxRowsPerFile, and 6 row groups in 1 file would become 6 in 3
  });

  it('splits the rows of a run into parts of full row groups, up to maxRowsPerFile each, and one part with the rest', () => {
    expect(compactedPartRows(1_050, o)).to.deep.equal([400, 400, 200, 50]);
    expect(compactedPartRows(800, o)).to.deep.equal([400, 400]);
    expect(compactedPartRows(37, o)).to.deep.equal([37]);
    expect(compactedPartRows(1_050, { rowGroupSize: 100, maxRowsPerFile: 450 })).to.deep.equal([400, 400, 200, 50]);
  });
});
