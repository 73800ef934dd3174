import type { SourceBatch, WindowSource } from '../../index.js';

/** Extra columns the evaluation windows carry beside the model's input. */
export const LEVEL_COLUMN = '__price_level';
export const MINUTE_COLUMN = '__minutes';

/**
 * Wraps a source with two derived columns, so one `makeTfDataset` pass yields, aligned window by window,
 * the model input, the raw prices of the window (for the baselines) and the target's time:
 * `__price_level` (the price, untransformed) and `__minutes` (minutes since the first row: exact in the
 * float32 windows for 31 years, where epoch milliseconds would round to 2 minutes).
 * `origin()` is the first delivered row's timestamp of the last pass.
 */
export function evaluationSource(source: WindowSource, timestampColumn: string, priceColumn: string): WindowSource & { origin(): number } {
  let t0 = NaN;
  return {
    columns: [...source.columns, LEVEL_COLUMN, MINUTE_COLUMN],
    numRows: source.numRows,
    origin: () => t0,
    async *open(wanted, fromRow) {
      const base = [...new Set([...wanted.filter((c) => c !== LEVEL_COLUMN && c !== MINUTE_COLUMN), timestampColumn, priceColumn])];
      t0 = NaN;
      for await (const batch of source.open(base, fromRow)) {
        const ts = batch.columns[timestampColumn] as ArrayLike<number>;
        if (t0 !== t0 && batch.numRows > 0) t0 = Number(ts[0]);
        const minutes = new Float64Array(batch.numRows);
        for (let i = 0; i < batch.numRows; i++) minutes[i] = (Number(ts[i]) - t0) / 60_000;
        const out: SourceBatch = { ...batch, columns: { ...batch.columns, [LEVEL_COLUMN]: batch.columns[priceColumn]!, [MINUTE_COLUMN]: minutes } };
        yield out;
      }
    },
  };
}
