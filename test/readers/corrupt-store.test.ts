import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { ParquetReadError } from '../../src/store/parquet-read-error.js';
import { mulberry32 } from '../../src/prng.js';
import { collect, useBtcStore } from './fixtures.js';

async function outcome(path: string, workers: number): Promise<'ok' | ParquetReadError> {
  try {
    await collect(await makeBatchReader(path, { workers }));
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

  it('names the file and row group of a part truncated after the store was committed', async () => {
    const part = readdirSync(dir).filter((f) => f.startsWith('part-')).sort()[1]!;
    truncateSync(join(dir, part), 2_000);
    for (const workers of [0, 1]) {
      const err = await outcome(dir, workers);
      expect(err).to.be.instanceOf(ParquetReadError);
      expect((err as ParquetReadError).file).to.equal(join(dir, part));
      expect((err as ParquetReadError).rowGroup).to.be.a('number');
    }
  });

  it('reads a truncated single file as a ParquetReadError naming it', async () => {
    const part = join(dir, readdirSync(dir).find((f) => f.startsWith('part-'))!);
    truncateSync(part, 5_000);
    const err = await outcome(part, 0);
    expect(err).to.be.instanceOf(ParquetReadError);
    expect((err as Error).message).to.match(/footer magic/);
  });

  it('never crashes or hangs on garbage inside column chunks: each read either succeeds or throws a ParquetReadError', async () => {
    const part = join(dir, readdirSync(dir).filter((f) => f.startsWith('part-')).sort()[0]!);
    const original = readFileSync(part);
    const rand = mulberry32(5);
    const outcomes: string[] = [];
    for (let trial = 0; trial < 6; trial++) {
      const bytes = Buffer.from(original);
      const at = 4 + Math.floor(rand() * (bytes.length / 2));
      for (let k = 0; k < 16; k++) bytes[at + k] = Math.floor(rand() * 256);
      writeFileSync(part, bytes);
      const result = await outcome(dir, trial % 3 === 2 ? 1 : 0); // outcome() rethrows anything but a ParquetReadError
      outcomes.push(result === 'ok' ? 'ok' : 'ParquetReadError');
    }
    // Parquet pages carry no checksum here, so garbage inside compressed values may decode to wrong numbers;
    // what must hold is that nothing escapes as a crash, a hang or a non-ParquetReadError.
    expect(outcomes.length).to.equal(6);
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
