import { expect } from 'chai';
import fc from 'fast-check';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, columnsSource, localLocation, makeTfDataset, type MakeTfDatasetOptions, ParquetReadError, type StoreLocation, type WindowSource } from '../../src/index.js';
import { initBackend } from '../../src/index.js';
import { useBtcStore } from '../readers/fixtures.js';
import { startStaticServer } from '../static-server.js';
import { byValue, datasetWindows } from '../windowing/helpers.js';

const run = promisify(execFile);

/** Every window of one epoch as [...xs, ...ys], in delivery order. */
/** A source that counts the rows it delivers (to see what a shard reads). */
function counting(source: WindowSource): WindowSource & { rows: number } {
  const out = {
    columns: source.columns,
    numRows: source.numRows,
    unitCount: source.unitCount,
    unitRows: source.unitRows,
    rows: 0,
    async *open(columns: readonly string[]) {
      for await (const b of source.open(columns)) {
        out.rows += b.numRows;
        yield b;
      }
    },
    async *openUnits(columns: readonly string[], units: readonly number[]) {
      for await (const u of source.openUnits!(columns, units)) {
        out.rows += u.batch.numRows;
        yield u;
      }
    },
  };
  return out;
}

describe('makeTfDataset shards: windows split across processes', function () {
  this.timeout(180_000);
  before(async () => {
    await initBackend('cpu');
  });

  it('shards are disjoint, each within one window of the others, and together exactly the unsharded windows (property)', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 20, max: 300 }),
          windowSize: fc.integer({ min: 1, max: 6 }),
          horizon: fc.integer({ min: 1, max: 3 }),
          stride: fc.integer({ min: 1, max: 4 }),
          samplingRate: fc.integer({ min: 1, max: 2 }),
          chunkRows: fc.integer({ min: 1, max: 64 }),
          holes: fc.array(fc.integer({ min: 1, max: 299 }), { maxLength: 4 }),
          logReturn: fc.boolean(),
          split: fc.boolean(),
          shuffle: fc.boolean(),
          shardCount: fc.integer({ min: 2, max: 5 }),
        }),
        async (p) => {
          const t = new Float64Array(p.n);
          const x = new Float64Array(p.n);
          const holes = new Set(p.holes);
          for (let i = 0, at = 0; i < p.n; i++) {
            at += holes.has(i) ? 5 : 1;
            t[i] = at;
            x[i] = 100 + Math.sin(i) * 10 + i;
          }
          const options: MakeTfDatasetOptions = {
            features: ['x'],
            targets: ['x'],
            windowSize: p.windowSize,
            horizon: p.horizon,
            stride: p.stride,
            samplingRate: p.samplingRate,
            timestampColumn: 't',
            maxGap: 2,
            logReturns: p.logReturn ? ['x'] : [],
            normalize: 'zscore',
            batchSize: 7,
            shuffle: p.shuffle,
            seed: 3,
            ...(p.split ? { split: { train: 0.6, validation: 0.4 } } : {}),
          };
          const source = () => columnsSource({ t, x }, { chunkRows: p.chunkRows });
          const all = await datasetWindows(source(), options).catch((err) => (err instanceof ConfigError ? null : Promise.reject(err)));
          if (all === null || all.length < p.shardCount) return; // too few windows to shard: covered below
          const shards: number[][][] = [];
          for (let k = 0; k < p.shardCount; k++) shards.push(await datasetWindows(source(), { ...options, shardIndex: k, shardCount: p.shardCount }));
          compared++;
          const sizes = shards.map((s) => s.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1);
          const union = shards.flat();
          expect(union.length).to.equal(all.length);
          if (p.shuffle) expect([...union].sort(byValue)).to.deep.equal([...all].sort(byValue));
          else expect(union).to.deep.equal(all); // in time order, shard after shard
        },
      ),
      { numRuns: 60, seed: 20261130 },
    );
    expect(compared).to.be.greaterThan(40); // the property was checked, not skipped for lack of windows
  });

  it('a shard reads only the rows its windows need (the span − 1 rows of overlap, rounded to a chunk)', async () => {
    const n = 10_000;
    const t = Float64Array.from({ length: n }, (_, i) => i);
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const options: MakeTfDatasetOptions = { features: ['x'], targets: ['x'], windowSize: 48, batchSize: 64 };
    const chunk = 500;
    const whole = counting(columnsSource({ t, x }, { chunkRows: chunk }));
    const all = await datasetWindows(whole, options);
    expect(whole.rows).to.equal(n);
    const read: number[] = [];
    const got: number[][] = [];
    for (let k = 0; k < 4; k++) {
      const src = counting(columnsSource({ t, x }, { chunkRows: chunk }));
      got.push(...(await datasetWindows(src, { ...options, shardIndex: k, shardCount: 4 })));
      read.push(src.rows);
    }
    expect(got).to.deep.equal(all);
    // 9,952 windows of 49 rows: each shard needs its 2,488 starts + 48 rows, read from a chunk boundary.
    for (const r of read) expect(r).to.be.within(2_488 + 48, 2_488 + 48 + 2 * chunk);
    expect(read.reduce((a, b) => a + b, 0)).to.be.lessThan(n + 4 * (48 + 2 * chunk));
  });

  describe('over a store', () => {
    const store = useBtcStore(3_000, 250, 1_000); // 12 row groups in 3 files

    it('skips the row groups before a shard: its data reads start at the row group holding its first window', async () => {
      const reads: string[] = [];
      const inner = await localLocation(store());
      const location: StoreLocation = {
        url: inner.url,
        list: () => inner.list(),
        open: async (path) => {
          const src = await inner.open(path);
          return src && { ...src, read: (s, e) => (reads.push(path), src.read(s, e)) };
        },
      };
      const options: MakeTfDatasetOptions = { features: ['price_usd'], targets: ['price_usd'], windowSize: 10, batchSize: 100, workers: 0 };
      const all = await datasetWindows(store(), options);
      const parts: number[][][] = [];
      const dataReads: string[][] = [];
      for (let k = 0; k < 3; k++) {
        reads.length = 0;
        parts.push(await datasetWindows(location, { ...options, shardIndex: k, shardCount: 3 }));
        dataReads.push(reads.filter((p) => !p.startsWith('_')));
      }
      expect(parts.flat()).to.deep.equal(all);
      expect(parts.map((p) => p.length)).to.deep.equal([996, 997, 997]); // 2,990 windows
      // Shard 0 reads rows 0..1,004 (part files 0 and 1); shard 2's windows start at row 1,993, in row group 7
      // (rows 1,750..1,999) of part file 1: it reads nothing of part file 0.
      const [file0, file1, file2] = (await inner.list())!;
      expect([...new Set(dataReads[0])]).to.deep.equal([file0, file1]);
      expect([...new Set(dataReads[2])]).to.deep.equal([file1, file2]);
    });

    it('passes every read option through: filters, decode threads and HTTP headers reach the reader', async () => {
      const server = await startStaticServer(store(), true, { requireHeaders: { authorization: 'Bearer s3cret' } });
      try {
        const options: MakeTfDatasetOptions = { features: ['price_usd'], targets: ['price_usd'], windowSize: 5, batchSize: 50 };
        // price_usd = row index: the filter keeps rows 1,000..2,199, so windows see exactly those.
        const filtered = await datasetWindows(`${server.url}/`, { ...options, filters: [['price_usd', '>=', 1_000], ['price_usd', '<', 2_200]], workers: 1, headers: { authorization: 'Bearer s3cret' } });
        const expected = await datasetWindows(columnsSource({ price_usd: Float32Array.from({ length: 1_200 }, (_, i) => 1_000 + i) }), options);
        expect(filtered).to.deep.equal(expected);
        const refused = server.log.refused;
        const err = await makeTfDataset(`${server.url}/`, options).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(ParquetReadError);
        expect((err as Error).message).to.match(/answered 401/);
        expect(server.log.refused).to.be.greaterThan(refused);
      } finally {
        await server.close();
      }
    });

    it('two processes each train one shard of an HTTP store that needs an Authorization header; their windows together are the unsharded windows', async () => {
      const token = 'Bearer 7f3a-shard-test';
      const server = await startStaticServer(store(), true, { requireHeaders: { authorization: token } });
      try {
        const url = `${server.url}/`;
        const options: MakeTfDatasetOptions = {
          features: ['price_usd', 'market_cap'],
          targets: ['price_usd'],
          windowSize: 24,
          stride: 3,
          timestampColumn: 'timestamp',
          maxGap: 120_000,
          split: { train: 0.7, validation: 0.3 },
          normalize: 'zscore',
          batchSize: 32,
          shuffle: true,
          seed: 5,
          headers: { authorization: token },
        };
        const all = await datasetWindows(url, options);
        const child = join(resolve(import.meta.dirname), 'fixtures', 'shard-child.ts');
        const results = await Promise.all(
          [0, 1].map(async (shardIndex) => {
            const { stdout } = await run(process.execPath, ['--import', 'tsx', child, JSON.stringify({ url, options: { ...options, shardIndex, shardCount: 2 } })], { maxBuffer: 64 << 20 });
            return JSON.parse(stdout) as { size: number; windowsPerEpoch: number; windows: number[][]; loss: number };
          }),
        );
        const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
        console.log(`      windows: unsharded ${all.length}, shard 0 ${a.windowsPerEpoch} (${a.size} batches), shard 1 ${b.windowsPerEpoch} (${b.size} batches)`);
        expect(a.windows.length).to.equal(a.windowsPerEpoch);
        expect(b.windows.length).to.equal(b.windowsPerEpoch);
        expect(a.windowsPerEpoch + b.windowsPerEpoch).to.equal(all.length);
        expect(Math.abs(a.windowsPerEpoch - b.windowsPerEpoch)).to.be.at.most(1);
        expect([...a.windows, ...b.windows].sort(byValue)).to.deep.equal([...all].sort(byValue));
        for (const r of results) expect(Number.isFinite(r.loss)).to.equal(true);
      } finally {
        await server.close();
      }
    });
  });

  it('refuses shard options that cannot work, saying why', async () => {
    const src = columnsSource({ x: Float64Array.from({ length: 12 }, (_, i) => i) });
    const options: MakeTfDatasetOptions = { features: ['x'], targets: ['x'], windowSize: 5 };
    const fail = async (o: object) => makeTfDataset(src, { ...options, ...o } as MakeTfDatasetOptions).then(() => expect.fail('accepted'), (e: Error) => e);
    expect((await fail({ shardIndex: 2, shardCount: 2 })).message).to.equal('makeTfDataset: shardIndex must be < shardCount (2); received 2');
    // 12 rows, windows of 6 rows: 7 windows, so 8 shards leave one empty (windows ⌊0·7/8⌋..⌊1·7/8⌋ − 1: none).
    expect((await fail({ shardIndex: 0, shardCount: 8 })).message).to.equal('makeTfDataset: shard 0 of 8 holds no window: the train part has 7 window(s); use a smaller shardCount');
    expect((await makeTfDataset(src, { ...options, shardIndex: 7, shardCount: 8 })).windowsPerEpoch).to.equal(1);
    expect((await fail({ shuffleRowGroups: true })).message).to.match(/^makeTfDataset: option shuffleRowGroups does not apply to windows: reading row groups out of time order without the rows before them would cut windows/);
    expect((await fail({ columns: ['x'] })).message).to.match(/^makeTfDataset: option columns does not apply to windows: the columns read are derived from features, targets and timestampColumn/);
    expect((await fail({ numEpochs: 2 })).message).to.match(/pass epochs to model.fitDataset/);
    expect((await fail({ filters: [['x', '>', 1]] })).message).to.match(/^makeTfDataset: filters applies to stores; this source is a WindowSource/);
    expect((await fail({ headers: { a: 'b' } })).message).to.match(/^makeTfDataset: headers applies to stores/);
    expect((await fail({ verifyChecksums: false })).message).to.match(/^makeTfDataset: verifyChecksums applies to stores/);
  });
});
