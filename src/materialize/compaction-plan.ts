import type { StoreFile, StoreRowGroup } from '../store/open-store.js';

/** Consecutive small parts, in store order, rewritten together: sorted together, and put where they were. */
export interface CompactionRun {
  files: string[];
  rows: number;
  rowGroups: number;
}

export interface CompactionPlan {
  /** The runs worth rewriting (each makes fewer row groups or fewer files). */
  runs: CompactionRun[];
  /** Parts of the store whose every row group holds fewer than `rowGroupSize` rows. */
  smallParts: number;
}

/** How many rows each part rewritten from `rows` rows holds: full row groups, then the rest in a part of its own. */
export function compactedPartRows(rows: number, o: { rowGroupSize: number; maxRowsPerFile: number }): number[] {
  const full = Math.floor(rows / o.rowGroupSize) * o.rowGroupSize;
  const perFile = Math.floor(o.maxRowsPerFile / o.rowGroupSize) * o.rowGroupSize;
  const out: number[] = [];
  for (let at = 0; at < full; at += perFile) out.push(Math.min(perFile, full - at));
  // The rest stays a small part, rewritten with the next small parts: every other row group is full.
  if (rows > full) out.push(rows - full);
  return out;
}

/**
 * Which parts a compaction rewrites. A part is small when every row group of it holds fewer than
 * `rowGroupSize` rows; any other part is left alone. Consecutive small parts form a run (cut so that a run
 * holds at most `maxRowsPerFile` rows, or one part), and only consecutive parts are merged: rows that move
 * stay between the same neighbours, so every series keeps its time order in store order whatever the sort.
 * A run is kept when rewriting it makes fewer row groups or fewer files.
 *
 * @example
 * const { runs } = planCompaction(store.files, store.rowGroups, { rowGroupSize: 65_536, maxRowsPerFile: 1_048_576 });
 */
export function planCompaction(files: readonly StoreFile[], rowGroups: readonly StoreRowGroup[], o: { rowGroupSize: number; maxRowsPerFile: number }): CompactionPlan {
  const largest = new Map<string, number>();
  for (const rg of rowGroups) largest.set(rg.file, Math.max(largest.get(rg.file) ?? 0, rg.numRows));
  const small = (f: StoreFile) => (largest.get(f.path) ?? 0) < o.rowGroupSize;
  const runs: CompactionRun[] = [];
  let run: CompactionRun | null = null;
  const close = () => {
    if (run && (run.rowGroups > Math.ceil(run.rows / o.rowGroupSize) || run.files.length > compactedPartRows(run.rows, o).length)) runs.push(run);
    run = null;
  };
  let smallParts = 0;
  for (const f of files) {
    if (!small(f)) {
      close();
      continue;
    }
    smallParts++;
    if (run && run.rows + f.numRows > o.maxRowsPerFile) close();
    run ??= { files: [], rows: 0, rowGroups: 0 };
    run.files.push(f.path);
    run.rows += f.numRows;
    run.rowGroups += f.rowGroups;
  }
  close();
  return { runs, smallParts };
}
