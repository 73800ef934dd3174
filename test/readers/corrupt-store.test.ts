import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { ParquetReadError } from '../../src/store/parquet-read-error.js';
import { mulberry32 } from '../../src/prng.js';
import { btcColumns, collect, useBtcStore } from './fixtures.js';
import { materializeDataset } from '../../src/materialize/materialize.js';
import { BitcoinSchema } from '../../src/forecasting/schemas.js';

async function outcome(path: string, workers: number, verifyChecksums = true): Promise<'ok' | ParquetReadError> {
  try {
    await collect(await makeBatchReader(path, { workers, verifyChecksums }));
    return 'ok';
  } catch (err) {
    if (err instanceof ParquetReadError) return err;
    throw err;
  }
}

describe('corrupt and truncated stores', function () {
  this.timeout(60_000);
  const store = useBtcStore(4_000, 1_000, 2_000);
  let dir = '';
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'tfpl-corrupt-')), 'store');
    cpSync(store(), dir, { recursive: true });
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('refuses a part truncated after the store was committed at open, naming it and both sizes', async () => {
    const part = readdirSync(dir).filter((f) => f.startsWith('part-')).sort()[1]!;
    const size = statSync(join(dir, part)).size;
    truncateSync(join(dir, part), 2_000);
    const err = await outcome(dir, 0);
    expect(err).to.be.instanceOf(ParquetReadError);
    expect((err as ParquetReadError).file).to.equal(join(dir, part));
    expect((err as ParquetReadError).reason).to.equal(`part is 2000 bytes but _metadata recorded ${size} at its commit; the part was truncated, extended or replaced after its commit: restore it from a copy, or rewrite the store (verifyChecksums: false reads it unchecked)`);
  });

  it('without verification, names the file and row group where a truncated part breaks the read', async () => {
    const part = readdirSync(dir).filter((f) => f.startsWith('part-')).sort()[1]!;
    truncateSync(join(dir, part), 2_000);
    for (const workers of [0, 1]) {
      const err = await outcome(dir, workers, false);
      expect(err).to.be.instanceOf(ParquetReadError);
      expect((err as ParquetReadError).file).to.equal(join(dir, part));
      expect((err as ParquetReadError).rowGroup).to.equal(1);
    }
  });

  it('refuses a part replaced after the commit by another of the same size whose footer holds other rows', async () => {
    const parts = readdirSync(dir).filter((f) => f.startsWith('part-')).sort();
    const replaced = join(dir, parts[1]!);
    // a 1,000-row part in place of a 2,000-row one, padded to its size
    const other = join(dir, '..', 'small');
    await materializeDataset(other, BitcoinSchema, btcColumns(1_000, 2_000), { rowGroupSize: 1_000 });
    const last = readFileSync(join(other, readdirSync(other).find((f) => f.startsWith('part-'))!));
    const size = statSync(replaced).size;
    expect(last.length).to.be.lessThan(size);
    const padded = Buffer.alloc(size);
    last.copy(padded, size - last.length); // a valid Parquet file reads from its end
    last.copy(padded, 0, 0, 4);
    writeFileSync(replaced, padded);
    const err = await outcome(dir, 0);
    expect(err).to.be.instanceOf(ParquetReadError);
    expect((err as ParquetReadError).file).to.equal(replaced);
    expect((err as ParquetReadError).reason).to.match(/^part's footer holds 1000 rows but _metadata recorded 2000 at its commit/);
  });

  it('reads a truncated single file as a ParquetReadError naming it', async () => {
    const part = join(dir, readdirSync(dir).find((f) => f.startsWith('part-'))!);
    truncateSync(part, 5_000);
    const err = await outcome(part, 0);
    expect(err).to.be.instanceOf(ParquetReadError);
    expect((err as Error).message).to.match(/footer magic/);
  });

  it('refuses garbage inside any column chunk with a ParquetReadError naming the row group, column and page', async () => {
    const part = join(dir, readdirSync(dir).filter((f) => f.startsWith('part-')).sort()[0]!);
    const original = readFileSync(part);
    const rand = mulberry32(5);
    for (let trial = 0; trial < 6; trial++) {
      const bytes = Buffer.from(original);
      const at = 4 + Math.floor(rand() * (bytes.length / 2));
      for (let k = 0; k < 16; k++) bytes[at + k] = Math.floor(rand() * 256);
      writeFileSync(part, bytes);
      const err = await outcome(dir, trial % 3 === 2 ? 1 : 0); // outcome() rethrows anything but a ParquetReadError
      expect(err, `trial ${trial}: 16 random bytes at ${at}`).to.be.instanceOf(ParquetReadError);
      const e = err as ParquetReadError;
      expect([e.file, typeof e.rowGroup, typeof e.column, typeof e.page], e.message).to.deep.equal([part, 'number', 'string', 'number']);
      expect(e.reason).to.match(/^page checksum mismatch at file byte \d+: CRC-32 of its \d+ bytes is [0-9a-f]{8}, recorded [0-9a-f]{8}/);
    }
  });

  it('reports a destroyed page header as a ParquetReadError for that row group', async () => {
    const part = readdirSync(dir).filter((f) => f.startsWith('part-')).sort()[0]!;
    const bytes = readFileSync(join(dir, part));
    bytes.fill(0xff, 4, 40); // the first page header of the first column chunk
    writeFileSync(join(dir, part), bytes);
    for (const workers of [0, 1]) {
      const err = await outcome(dir, workers);
      expect(err).to.be.instanceOf(ParquetReadError);
      expect((err as ParquetReadError).rowGroup).to.equal(0);
    }
  });
});
