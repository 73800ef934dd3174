import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitcoinSchema } from '../../src/forecasting/schemas.js';
import { type MakeTfDatasetOptions, materializeDataset, openStore, StoreError } from '../../src/index.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { s3Location } from '../../src/store/s3/s3-location.js';
import { btcColumns, collect, useBtcStore } from '../readers/fixtures.js';
import { S3RVER_KEY, startS3Proxy, startS3rver, type S3TestProxy, type S3TestServer } from '../s3-server.js';
import { byValue, datasetWindows } from '../windowing/helpers.js';
import { runCli } from '../cli/run-cli.js';
import { duck, lit } from '../duckdb.js';
import { useTmpDir } from '../tmp-dir.js';

const ROWS = 12_000;
const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 5_000 };

/** Every value of every column of a reader, column by column. */
async function values(reader: Awaited<ReturnType<typeof makeBatchReader>>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const b of await collect(reader)) for (const [k, v] of Object.entries(b.columns)) (out[k] ??= []).push(...Array.from(v as Float64Array));
  return out;
}

describe('s3:// stores: written, read, sharded and committed through the S3 protocol (s3rver on 127.0.0.1)', function () {
  this.timeout(120_000);
  const local = useBtcStore(ROWS, 1_000, 5_000);
  const tmp = useTmpDir();
  let s3: S3TestServer;
  let honouring: S3TestProxy;
  let io: { s3: { endpoint: string; credentials: typeof S3RVER_KEY }; retry: typeof FAST_RETRY };

  before(async () => {
    s3 = await startS3rver({ buckets: ['data'] });
    // AWS S3, MinIO and R2 honour conditional writes; s3rver alone does not: the proxy does what they do.
    honouring = await startS3Proxy(s3.endpoint, { conditional: true });
    io = { s3: { endpoint: honouring.endpoint, credentials: S3RVER_KEY }, retry: FAST_RETRY };
  });
  after(async () => {
    await honouring?.close();
    await s3?.close();
  });

  it('a store written to s3:// by materializeDataset reads back value for value as the same rows written locally, footers from one _metadata', async () => {
    const result = await materializeDataset('s3://data/btc', BitcoinSchema, btcColumns(ROWS), { rowGroupSize: 1_000, maxRowsPerFile: 5_000, ...io });
    expect(result).to.deep.include({ numRows: ROWS, rowGroups: 12, storeRows: ROWS, commitGuard: 'conditional' });
    expect(result.files.length).to.equal(3);
    const store = await openStore('s3://data/btc', io);
    expect([store.writer, store.summary, store.numRows, store.files.length]).to.deep.equal(['tfjs-parquet-loader', 'metadata', ROWS, 3]);
    const remote = await values(await makeBatchReader(store, { workers: 0 }));
    const fromDisk = await values(await makeBatchReader(local(), { workers: 0 }));
    expect(Object.keys(remote)).to.deep.equal(['timestamp', 'price_usd', 'market_cap', 'price_change_24h', 'total_volume']);
    for (const c of Object.keys(fromDisk)) expect(remote[c], c).to.deep.equal(fromDisk[c]);
    // Only the objects of the store: the parts, the two summary files and the probe of conditional writes.
    const objects = (await s3Location('s3://data/btc', io).listAll()).map((o) => o.path);
    expect(objects.filter((p) => !p.endsWith('.parquet'))).to.deep.equal(['_common_metadata', '_metadata', '_tfpl-conditional-writes']);
  });

  it('appends commit on top of each other; the two shards of an s3:// store are disjoint and together exactly its unsharded windows', async () => {
    await materializeDataset('s3://data/grow', BitcoinSchema, btcColumns(4_000), { rowGroupSize: 500, ...io });
    await materializeDataset('s3://data/grow', BitcoinSchema, btcColumns(4_000, 4_000), { rowGroupSize: 500, mode: 'append', ...io });
    expect((await openStore('s3://data/grow', io)).numRows).to.equal(8_000);
    const options: MakeTfDatasetOptions = { features: ['price_usd', 'market_cap'], targets: ['price_usd'], windowSize: 12, batchSize: 64, timestampColumn: 'timestamp', normalize: 'zscore', workers: 0, ...io };
    const all = await datasetWindows('s3://data/grow', options);
    const shards = await Promise.all([0, 1].map((shardIndex) => datasetWindows('s3://data/grow', { ...options, shardIndex, shardCount: 2 })));
    expect(all.length).to.equal(8_000 - 12);
    expect(shards[0]!.length + shards[1]!.length).to.equal(all.length);
    expect([...shards[0]!, ...shards[1]!].sort(byValue)).to.deep.equal([...all].sort(byValue));
  });

  it('of two writers that read the same _metadata, the second to commit fails with a StoreError and leaves nothing behind (a service that honours If-Match)', async () => {
    await materializeDataset('s3://data/race', BitcoinSchema, btcColumns(1_000), { rowGroupSize: 500, ...io });
    const { first, second } = await race('s3://data/race', io);
    expect(first).to.deep.include({ storeRows: 2_000, commitGuard: 'conditional' });
    expect(second).to.be.instanceOf(StoreError);
    expect((second as Error).message).to.match(/another writer committed to s3:\/\/data\/race after this write read its state, so this write did not commit .*run it again/);
    const store = await openStore('s3://data/race', io);
    expect(store.numRows).to.equal(2_000);
    // The loser's parts are gone: every part in the bucket is listed in _metadata.
    const parts = (await s3Location('s3://data/race', io).listAll()).map((o) => o.path).filter((p) => p.endsWith('.parquet'));
    expect(parts.sort()).to.deep.equal(store.files.map((f) => f.path).sort());
  });

  it('on a service that ignores conditional writes, the later commit replaces the earlier one, and the result says no guard held', async () => {
    const lax = { ...io, s3: { ...io.s3, endpoint: s3.endpoint } };
    await materializeDataset('s3://data/lax', BitcoinSchema, btcColumns(1_000), { rowGroupSize: 500, ...lax });
    const { first, second } = await race('s3://data/lax', lax);
    expect(first).to.deep.include({ storeRows: 2_000, commitGuard: 'none' });
    // The slower writer committed over the faster one's commit: its rows were lost, as the README says.
    expect(second).to.deep.include({ storeRows: 2_000, commitGuard: 'none' });
    expect((await openStore('s3://data/lax', lax)).numRows).to.equal(2_000);
  });

  it('tfpl metadata writes _metadata for a dataset DuckDB wrote and uploaded (as Spark leaves one), conditionally, and the SDK reads exactly what DuckDB reads', async () => {
    const dir = join(tmp(), 'prices');
    await duck(`COPY (SELECT ['bitcoin', 'ethereum'][1 + (i % 2)] AS coin, (TIMESTAMP '2024-01-01' + to_minutes(i)) AS ts, (100 + i * 0.25)::DOUBLE AS price
      FROM range(2000) t(i)) TO ${lit(dir)} (FORMAT PARQUET, PARTITION_BY (coin), ROW_GROUP_SIZE 250)`);
    const location = s3Location('s3://data/duck', io);
    const files: string[] = [];
    for (const coin of readdirSync(dir)) for (const f of readdirSync(join(dir, coin))) files.push(`${coin}/${f}`);
    for (const f of files) await location.putFile(f, readFileSync(join(dir, f)));
    expect((await openStore('s3://data/duck', io)).summary).to.equal('footers');

    // The command finds the credentials as the AWS tools do: in the environment.
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_PROFILE: '', AWS_CONFIG_FILE: join(tmp(), 'none'), AWS_SHARED_CREDENTIALS_FILE: join(tmp(), 'none') });
    delete process.env.AWS_PROFILE;
    const cli = await runCli(['metadata', 's3://data/duck', '--json', '--endpoint-url', honouring.endpoint]).finally(() => {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    });
    expect(cli.code, cli.stderr).to.equal(0);
    expect((JSON.parse(cli.stdout) as { numRows: number }).numRows).to.equal(2_000);
    // Written with If-None-Match: * (there was none): the proxy saw the condition.
    const puts = honouring.seen.filter((r) => r.method === 'PUT' && r.url.startsWith('/data/duck/_metadata'));
    expect(puts.map((r) => [r.headers['if-none-match'], r.status])).to.deep.equal([['*', 200]]);

    const store = await openStore('s3://data/duck', io);
    expect(store.summary).to.equal('metadata');
    const got = await values(await makeBatchReader(store, { workers: 0, columns: ['coin', 'ts', 'price'] }));
    const expected = await duck(`SELECT coin, epoch_ms(ts) AS ts, price FROM read_parquet(${lit(join(dir, '**/*.parquet'))}, hive_partitioning = true) ORDER BY coin, ts`);
    const rows = got.ts!.map((ts, i) => [got.coin![i], ts, got.price![i]]).sort((a, b) => String(a[0]).localeCompare(String(b[0])) || (a[1] as number) - (b[1] as number));
    expect(rows).to.deep.equal(expected.map((r) => [r.coin, Number(r.ts), r.price]));
  });
});

/**
 * Two appends of 1,000 rows that both read the store before either commits: the first waits for nothing,
 * the second's input waits until the first has committed, so the second commits against an old _metadata.
 */
async function race(url: string, io: object): Promise<{ first: unknown; second: unknown }> {
  let firstDone!: () => void;
  let secondRead!: () => void;
  const firstCommitted = new Promise<void>((r) => (firstDone = r));
  const secondHasRead = new Promise<void>((r) => (secondRead = r));
  async function* slowRows() {
    // Pulled once the writer has read the store's state: the first writer may start now.
    secondRead();
    yield { batch: btcColumns(500, 2_000) };
    await firstCommitted;
    yield { batch: btcColumns(500, 2_500) };
  }
  const second = materializeDataset(url, BitcoinSchema, slowRows(), { rowGroupSize: 500, mode: 'append', ...io }).then(
    (r) => r as unknown,
    (e: unknown) => e,
  );
  await secondHasRead;
  const first = await materializeDataset(url, BitcoinSchema, btcColumns(1_000, 1_000), { rowGroupSize: 500, mode: 'append', ...io });
  firstDone();
  return { first, second: await second };
}
