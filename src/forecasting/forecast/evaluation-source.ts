import type { ColumnBatch, UnitBatch, WindowSource } from '../../index.js';

/** Extra columns the evaluation windows carry beside the model's input. */
export const LEVEL_COLUMN = '__price_level';
export const DAY_COLUMN = '__day';
export const SECOND_COLUMN = '__second';

const DAY = 86_400_000;

/** A timestamp from the two columns that carry it through float32 windows exactly (to the second). */
export function timestampOf(day: number, second: number): number {
  return day * DAY + second * 1000;
}

/**
 * Wraps a source with two derived columns, so one `makeTfDataset` pass yields, aligned window by window,
 * the model input, the raw prices of the window (for the baselines) and the target's time:
 * `__price_level` (the price, untransformed) and the time as `__day` (days since 1970) and `__second`
 * (seconds into the day): both exact in float32 windows, where epoch milliseconds would round to minutes.
 * The source's units pass through, so the test part is read without the units before it.
 */
export function evaluationSource(source: WindowSource, timestampColumn: string, priceColumn: string): WindowSource {
  const derived = [LEVEL_COLUMN, DAY_COLUMN, SECOND_COLUMN];
  const base = (wanted: readonly string[]) => [...new Set([...wanted.filter((c) => !derived.includes(c)), timestampColumn, priceColumn])];
  const derive = (batch: ColumnBatch): ColumnBatch => {
    const ts = batch.columns[timestampColumn] as ArrayLike<number>;
    const day = new Float64Array(batch.numRows);
    const second = new Float64Array(batch.numRows);
    for (let i = 0; i < batch.numRows; i++) {
      const t = Number(ts[i]);
      day[i] = Math.floor(t / DAY);
      second[i] = (t - day[i]! * DAY) / 1000;
    }
    return { numRows: batch.numRows, columns: { ...batch.columns, [LEVEL_COLUMN]: batch.columns[priceColumn]!, [DAY_COLUMN]: day, [SECOND_COLUMN]: second } };
  };
  const inner = source.openUnits?.bind(source);
  return {
    columns: [...source.columns, ...derived],
    numRows: source.numRows,
    unitCount: source.unitCount,
    unitRows: source.unitRows,
    async *open(wanted) {
      for await (const batch of source.open(base(wanted))) yield derive(batch);
    },
    ...(inner
      ? {
          async *openUnits(wanted: readonly string[], units: readonly number[]): AsyncGenerator<UnitBatch> {
            for await (const { unit, batch } of inner(base(wanted), units)) yield { unit, batch: derive(batch) };
          },
        }
      : {}),
  };
}
