import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { materializeDataset } from '../../src/materialize/materialize.js';
import { BitcoinSchema } from '../../src/forecasting/schemas.js';

export const T0 = Date.UTC(2024, 0, 1);
export const MINUTE = 60_000;

/** BitcoinSchema columns for rows [from, from + n): timestamp = T0 + i minutes, price_usd = i, nulls on a pattern. */
export function btcColumns(n: number, from = 0) {
  const timestamp = new Float64Array(n);
  const price_usd = new Float32Array(n);
  const market_cap = new Float64Array(n);
  const price_change_24h = new Float32Array(n);
  const total_volume = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    timestamp[k] = T0 + i * MINUTE;
    price_usd[k] = i;
    market_cap[k] = i * 2.5;
    price_change_24h[k] = i % 3 === 0 ? NaN : (i % 17) - 8.25;
    total_volume[k] = i % 5 === 0 ? NaN : 1e9 + i;
  }
  return { numRows: n, columns: { timestamp, price_usd, market_cap, price_change_24h, total_volume } };
}

/**
 * A store written once per test file (mocha `before`/`after`): `rows` rows in row groups of `rowGroupSize`,
 * files of `maxRowsPerFile`.
 */
export function useBtcStore(rows: number, rowGroupSize: number, maxRowsPerFile: number): () => string {
  let dir = '';
  before(async function () {
    this.timeout(60_000);
    dir = join(mkdtempSync(join(tmpdir(), 'tfpl-loader-')), 'store');
    await materializeDataset(dir, BitcoinSchema, btcColumns(rows), { rowGroupSize, maxRowsPerFile });
  });
  after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  return () => dir;
}

/** Every batch of an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
