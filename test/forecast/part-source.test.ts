import { expect } from 'chai';
import { columnsSource, makeTfDataset } from '../../src/index.js';
import { partSource } from '../../src/forecast/part-source.js';

async function windows(ds: Awaited<ReturnType<typeof makeTfDataset>>): Promise<number[][]> {
  const out: number[][] = [];
  await ds.forEachAsync(({ xs, ys }) => {
    out.push([...xs.dataSync(), ...ys.dataSync()]);
    xs.dispose();
    ys.dispose();
  });
  return out;
}

describe('forecast/partSource', () => {
  it('gives the same windows as makeTfDataset split/subset (log returns, lead row included), across batch boundaries', async () => {
    const n = 1_000;
    const t = Float64Array.from({ length: n }, (_, i) => i * 3_600_000);
    const p = Float64Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 7) + i / 50);
    const src = columnsSource({ t, p }, { chunkRows: 97 });
    const split = { train: 0.7, validation: 0.15, test: 0.15 };
    const base = { features: ['p'], targets: ['p'], windowSize: 8, logReturns: ['p'], timestampColumn: 't', batchSize: 50 };
    const train = await makeTfDataset(src, { ...base, split, subset: 'train', normalize: 'zscore' });
    for (const part of ['train', 'validation', 'test'] as const) {
      const viaSplit = await makeTfDataset(src, { ...base, split, subset: part, normalization: train.normalization });
      const { source, range } = await partSource(src, split, part);
      expect(source.numRows).to.equal(range.end - range.start);
      const viaPart = await makeTfDataset(source, { ...base, normalization: train.normalization });
      expect(viaPart.windowsPerEpoch, part).to.equal(viaSplit.windowsPerEpoch);
      expect(await windows(viaPart), part).to.deep.equal(await windows(viaSplit));
    }
  });
});
