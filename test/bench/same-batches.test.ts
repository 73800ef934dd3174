import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { csvDataset } from '../../bench/cases/csv.js';
import { duckdbColumns, windowsDataset } from '../../bench/cases/duckdb.js';
import { generatorDataset } from '../../bench/cases/generator.js';
import { storeSource } from '../../bench/cases/store-source.js';
import { sdkOptions } from '../../bench/cases/windows.js';
import { ensureData, featureNames, seriesColumns } from '../../bench/data.js';
import type { CaseParams } from '../../bench/measure.js';
import { initBackend } from '../../src/tfjs/backend.js';
import { makeTfDataset } from '../../src/tfjs/make-tf-dataset.js';
import { columnsSource } from '../../src/windowing/window-source.js';
import { useTmpDir } from '../tmp-dir.js';

async function collect(ds: tf.data.Dataset<tf.TensorContainer>): Promise<{ shapes: number[][]; xs: number[]; ys: number[] }> {
  const out = { shapes: [] as number[][], xs: [] as number[], ys: [] as number[] };
  await ds.forEachAsync((b) => {
    const { xs, ys } = b as { xs: tf.Tensor; ys: tf.Tensor };
    out.shapes.push(xs.shape, ys.shape);
    out.xs.push(...xs.dataSync());
    out.ys.push(...ys.dataSync());
    tf.dispose([xs, ys]);
  });
  return out;
}

// The ratios compare like with like only if every case builds the same batches from the same data.
describe('bench: every window case yields the same batches', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  it('SDK over the store (4 files, row groups of 50 rows), SDK over columns, tf.data.csv, the generator and DuckDB agree value for value', async function () {
    await initBackend('cpu');
    // Row groups of 50 and files of 100 rows: windows cross both boundaries.
    const data = await ensureData(tmp(), { rows: 333, features: 3, seed: 5, rowGroupSize: 50, maxRowsPerFile: 100 }, { withCsv: true });
    const p = { rows: 333, window: 7, features: 3, batch: 16, workers: 0, seed: 5, rowGroupSize: 50, storeDir: data.storeDir, csvPath: data.csvPath } as CaseParams;
    const s = seriesColumns(p.rows, p.features, p.seed);
    const cols: Record<string, Float32Array | Float64Array> = { timestamp: s.timestamp };
    featureNames(p.features).forEach((n, f) => (cols[n] = s.features[f]!));
    const duck = await duckdbColumns(p);

    const sdk = await collect(await makeTfDataset(await storeSource(p), sdkOptions(p)));
    expect(sdk.shapes.slice(0, 2)).to.deep.equal([[16, 7, 3], [16, 1]]);
    expect(sdk.ys.length).to.equal(333 - 7);
    // The first window is rows 0..6 of f0, f1, f2; its target is f0 of row 7.
    expect(sdk.xs.slice(0, 3)).to.deep.equal([s.features[0]![0], s.features[1]![0], s.features[2]![0]]);
    expect(sdk.ys[0]).to.equal(s.features[0]![7]);

    const others = {
      assembly: await collect(await makeTfDataset(columnsSource(cols, { chunkRows: 50 }), sdkOptions(p))),
      csv: await collect(csvDataset(p)),
      generator: await collect(generatorDataset(p)),
      duckdb: await collect(windowsDataset(p, duck.numRows, duck.columns)),
    };
    for (const [name, got] of Object.entries(others)) {
      expect(got.shapes, name).to.deep.equal(sdk.shapes);
      expect(got.xs, name).to.deep.equal(sdk.xs);
      expect(got.ys, name).to.deep.equal(sdk.ys);
    }
  });
});
