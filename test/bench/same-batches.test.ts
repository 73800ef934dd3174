import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { csvDataset } from '../../bench/cases/csv.js';
import { parsedCsvColumns } from '../../bench/cases/csv-parsed.js';
import { duckdbColumns } from '../../bench/cases/duckdb.js';
import { duckdbSdkDataset } from '../../bench/cases/duckdb-sdk.js';
import { generatorDataset } from '../../bench/cases/generator.js';
import { handWindowsDataset } from '../../bench/cases/hand-assembly.js';
import { storeSource } from '../../bench/cases/store-source.js';
import { sdkOptions } from '../../bench/cases/windows.js';
import { benchSchema, ensureData, featureNames, seriesColumns } from '../../bench/data.js';
import type { CaseParams } from '../../bench/measure.js';
import { columnsSource, initBackend, makeTfDataset, materializeDataset, type MakeTfDatasetOptions, storeWindowSource } from '../../src/index.js';
import { useTmpDir } from '../tmp-dir.js';

interface Batches {
  shapes: number[][];
  xs: number[];
  ys: number[];
}

/**
 * Every batch of one epoch. The tensors are all kept until the epoch ends and read only then, so a batch
 * buffer reused (or a tensor still referencing it) while a later batch is assembled shows up as wrong values.
 */
async function collect(ds: tf.data.Dataset<tf.TensorContainer>): Promise<Batches> {
  const kept: { xs: tf.Tensor; ys: tf.Tensor }[] = [];
  const it = await ds.iterator();
  for (let r = await it.next(); !r.done; r = await it.next()) kept.push(r.value as { xs: tf.Tensor; ys: tf.Tensor });
  const out: Batches = { shapes: [], xs: [], ys: [] };
  for (const { xs, ys } of kept) {
    out.shapes.push(xs.shape, ys.shape);
    out.xs.push(...xs.dataSync());
    out.ys.push(...ys.dataSync());
  }
  tf.dispose(kept);
  return out;
}

function expectSame(got: Batches, want: Batches, name: string): void {
  expect(got.shapes, `${name}: shapes`).to.deep.equal(want.shapes);
  expect(got.xs.length, `${name}: xs values`).to.equal(want.xs.length);
  // One comparison per array (deep.equal over 10^5 numbers would print them all on failure).
  const firstXs = got.xs.findIndex((v, i) => !Object.is(v, want.xs[i]));
  expect(firstXs, `${name}: first differing xs value`).to.equal(-1);
  const firstYs = got.ys.findIndex((v, i) => !Object.is(v, want.ys[i]));
  expect(firstYs, `${name}: first differing ys value`).to.equal(-1);
}

// The ratios compare like with like only if every case builds the same batches from the same data, in the
// bench's own configuration: the wasm backend (batch buffers reused), decode workers.
describe('bench: every window case yields the same batches', function () {
  this.timeout(180_000);
  const tmp = useTmpDir();
  after(async () => {
    await initBackend('cpu');
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: the SDK over the store (2 workers; 4 files, row groups of 50 rows), DuckDB + hand assembly, DuckDB + SDK windowing, uDSV + hand assembly, the SDK over columns and both idioms agree value for value`, async function () {
      expect((await initBackend(backend)).name).to.equal(backend);
      // Row groups of 50 and files of 100 rows: windows cross both boundaries; 333 − 7 = 326 windows end in a partial batch.
      const data = await ensureData(tmp(), { rows: 333, features: 3, seed: 5, rowGroupSize: 50, maxRowsPerFile: 100 }, { withCsv: true });
      const p = { rows: 333, window: 7, features: 3, batch: 16, workers: 2, seed: 5, rowGroupSize: 50, storeDir: data.storeDir, csvPath: data.csvPath } as CaseParams;
      const s = seriesColumns(p.rows, p.features, p.seed);
      const cols: Record<string, Float32Array | Float64Array> = { timestamp: s.timestamp };
      featureNames(p.features).forEach((n, f) => (cols[n] = s.features[f]!));

      const sdk = await collect(await makeTfDataset(await storeSource(p), sdkOptions(p)));
      expect(sdk.shapes.slice(0, 2)).to.deep.equal([
        [16, 7, 3],
        [16, 1],
      ]);
      expect(sdk.ys.length).to.equal(333 - 7);
      // The first window is rows 0..6 of f0, f1, f2; its target is f0 of row 7; the last target is f0 of row 332.
      expect(sdk.xs.slice(0, 3)).to.deep.equal([s.features[0]![0], s.features[1]![0], s.features[2]![0]]);
      expect(sdk.ys[0]).to.equal(s.features[0]![7]);
      expect(sdk.ys.at(-1)).to.equal(s.features[0]![332]);

      const duck = await duckdbColumns(p);
      const csv = await parsedCsvColumns(p);
      expect(csv.numRows).to.equal(333);
      const others = {
        'duckdb + hand assembly': await collect(await handWindowsDataset(p, duck.numRows, duck.columns)),
        'duckdb + SDK windowing': await collect(await duckdbSdkDataset(p, duck.numRows, duck.columns)),
        'uDSV + hand assembly': await collect(await handWindowsDataset(p, csv.numRows, csv.columns)),
        'SDK over columns': await collect(await makeTfDataset(columnsSource(cols, { chunkRows: 50 }), sdkOptions(p))),
        'tf.data.csv idiom': await collect(csvDataset(p)),
        'generator idiom': await collect(generatorDataset(p)),
      };
      for (const [name, got] of Object.entries(others)) expectSame(got, sdk, name);
    });
  }

  it('the SDK yields the same batches on cpu and wasm, with 0, 1 or 2 decode workers, from the store and from columns: plain, shuffled, z-score normalised, with gaps', async function () {
    // 400 rows with three gaps in the timestamps (maxGap drops the windows across them), written as a store of
    // row groups of 50 and files of 100 rows, and kept as columns.
    const rows = 400;
    const s = seriesColumns(rows, 3, 9);
    const timestamp = Float64Array.from(s.timestamp, (t, i) => t + (i >= 97 ? 3_600_000 : 0) + (i >= 210 ? 7_200_000 : 0) + (i >= 333 ? 60_000 : 0));
    const columns: Record<string, Float32Array | Float64Array> = { timestamp };
    featureNames(3).forEach((n, f) => (columns[n] = s.features[f]!));
    const dir = tmp();
    await materializeDataset(dir, benchSchema(3), { numRows: rows, columns }, { rowGroupSize: 50, maxRowsPerFile: 100 });
    const base: MakeTfDatasetOptions = { features: featureNames(3), targets: ['f0'], windowSize: 6, batchSize: 16, normalize: 'none' };
    const variants: Record<string, MakeTfDatasetOptions> = {
      plain: base,
      shuffled: { ...base, shuffle: true, shuffleBufferSize: 64, seed: 42 },
      'z-score': { ...base, normalize: 'zscore' },
      gaps: { ...base, timestampColumn: 'timestamp', maxGap: 60_000, horizon: 2 },
    };
    for (const [variant, options] of Object.entries(variants)) {
      await initBackend('cpu');
      const want = await collect(await makeTfDataset(await storeWindowSource(dir, { workers: 0 }), options));
      expect(want.shapes.length, variant).to.be.greaterThan(10);
      for (const backend of ['cpu', 'wasm'] as const) {
        await initBackend(backend);
        for (const workers of [0, 1, 2]) expectSame(await collect(await makeTfDataset(await storeWindowSource(dir, { workers }), options)), want, `${variant}, ${backend}, ${workers} worker(s)`);
        expectSame(await collect(await makeTfDataset(columnsSource(columns, { chunkRows: 50 }), options)), want, `${variant}, ${backend}, columns`);
      }
    }
  });
});
