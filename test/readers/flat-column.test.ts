import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { decodeSettings } from '../../src/readers/decode-row-group.js';
import type { ColumnBatch } from '../../src/schema/columns.js';
import { sharedData } from '../shared-data.js';
import { collect, useBtcStore } from './fixtures.js';

async function both(path: string): Promise<[ColumnBatch[], ColumnBatch[]]> {
  const fast = await collect(await makeBatchReader(path, { workers: 0, verifyChecksums: false }));
  decodeSettings.flatFastPath = false;
  try {
    return [fast, await collect(await makeBatchReader(path, { workers: 0, verifyChecksums: false }))];
  } finally {
    decodeSettings.flatFastPath = true;
  }
}

function same(a: ColumnBatch[], b: ColumnBatch[], what: string) {
  expect(a.length, what).to.equal(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(Object.keys(a[i]!.columns), what).to.deep.equal(Object.keys(b[i]!.columns));
    for (const [name, col] of Object.entries(a[i]!.columns)) {
      const other = b[i]!.columns[name]!;
      if (ArrayBuffer.isView(col)) expect(other.constructor, `${what} ${name}`).to.equal(col.constructor);
      // NaN-aware, bigint-aware comparison.
      expect(Array.from(col as ArrayLike<unknown>, String), `${what} ${name}`).to.deep.equal(Array.from(other as ArrayLike<unknown>, String));
    }
  }
}

describe('flat numeric column fast path', function () {
  this.timeout(60_000);
  const store = useBtcStore(7_000, 1_000, 7_000);

  it('decodes the SDK store exactly as hyparquet’s general reader does', async () => {
    const [fast, general] = await both(store());
    same(fast, general, 'btc store');
  });

  // Checksums off: the two files with corrupt page CRCs decode too (their values are the writer's).
  it('decodes every parquet-testing data file exactly as hyparquet’s general reader does', async function () {
    const dir = sharedData(this, 'parquet-testing', 'data');
    const skip = new Set(['nation.dict-malformed.parquet', 'uniform_encryption.parquet.encrypted']);
    for (const f of readdirSync(dir).filter((f) => !f.endsWith('.csv') && !skip.has(f))) {
      const [fast, general] = await both(join(dir, f));
      same(fast, general, f);
    }
  });
});
