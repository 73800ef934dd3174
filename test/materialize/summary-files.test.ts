import { expect } from 'chai';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitcoinSchema } from '../../src/forecasting/index.js';
import { makeBatchReader, materializeDataset, openStore, StoreError, writeSummaryFiles } from '../../src/index.js';
import { runCli } from '../cli/run-cli.js';
import { duck, lit } from '../duckdb.js';
import { collect } from '../readers/fixtures.js';
import { sharedData } from '../shared-data.js';
import { startStaticServer } from '../static-server.js';
import { useTmpDir } from '../tmp-dir.js';

const T0 = Date.UTC(2024, 0, 1);

/** Every row as comparable JSON, sorted: [coin, vs, ts, price, volume, qty, note]. */
function canonical(rows: unknown[][]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).sort();
}

describe('writeSummaryFiles / tfpl metadata: summary files for datasets written by other engines', function () {
  this.timeout(120_000);
  const tmp = useTmpDir();

  /** DuckDB writes a Hive-partitioned dataset (coin=…/vs=…/data_N.parquet) of typical column types. */
  async function duckdbDataset(): Promise<{ dir: string; rows: number }> {
    const dir = join(tmp(), 'prices');
    await duck(`COPY (
        SELECT ['bitcoin', 'ethereum', 'solana'][1 + (i % 3)] AS coin, ['usd', 'eur'][1 + (i // 3 % 2)] AS vs,
               (TIMESTAMP '2024-01-01' + to_minutes(i)) AS ts,
               (100 + i * 0.25)::DOUBLE AS price, (i % 7)::FLOAT AS volume, i::BIGINT AS qty, i::INTEGER AS n32,
               CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || i END AS note,
               (i % 4 = 0) AS flag, (DATE '2024-01-01' + (i // 100)::INTEGER) AS day
        FROM range(3000) t(i)
      ) TO ${lit(dir)} (FORMAT PARQUET, PARTITION_BY (coin, vs), ROW_GROUP_SIZE 200)`);
    return { dir, rows: 3000 };
  }

  const SELECT = `SELECT coin, vs, epoch_ms(ts) AS ts, price, volume, qty, n32, note, flag, epoch_ms(day::TIMESTAMP) AS day`;

  it('after tfpl metadata on a DuckDB Hive dataset, the SDK reads exactly the rows DuckDB reads, locally and over HTTP, and DuckDB still reads it', async () => {
    const { dir, rows } = await duckdbDataset();
    const before = await openStore(dir);
    expect(before.summary).to.equal('footers');
    const cli = await runCli(['metadata', dir, '--json']);
    expect(cli.code, cli.stderr).to.equal(0);
    const result = JSON.parse(cli.stdout) as { files: string[]; numRows: number };
    expect(result.numRows).to.equal(rows);
    expect(result.files.length).to.equal(6); // 3 coins × 2 currencies
    expect(result.files.every((f) => /^coin=\w+\/vs=\w+\/data_\d+\.parquet$/.test(f))).to.equal(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('_')).sort()).to.deep.equal(['_common_metadata', '_metadata']);

    // DuckDB's own view, through its Hive reader (partition values as text, as the SDK delivers them).
    const expected = (await duck(`${SELECT} FROM read_parquet(${lit(join(dir, '**/*.parquet'))}, hive_partitioning = true, hive_types_autocast = false)`)).map((r) => Object.values(r));
    expect(expected.length).to.equal(rows);

    const read = async (store: Parameters<typeof makeBatchReader>[0]) => {
      const reader = await makeBatchReader(store, { workers: 0, columns: ['coin', 'vs', 'ts', 'price', 'volume', 'qty', 'n32', 'note', 'flag', 'day'] });
      const out: unknown[][] = [];
      for (const b of await collect(reader)) {
        for (let i = 0; i < b.numRows; i++) out.push(Object.values(b.columns).map((c) => { const v = (c as ArrayLike<unknown>)[i]; return typeof v === 'number' && Number.isNaN(v) ? null : v; }));
      }
      return { reader, rows: out };
    };
    const local = await read(dir);
    expect(local.reader.store.summary).to.equal('metadata');
    expect(local.reader.store.files.map((f) => f.path)).to.deep.equal(result.files);
    expect(canonical(local.rows)).to.deep.equal(canonical(expected));

    // Over HTTP no file list is needed: _metadata names the files (Hive folders with '=' in the URL).
    const server = await startStaticServer(dir, true);
    try {
      const remote = await read(`${server.url}/`);
      expect(canonical(remote.rows)).to.deep.equal(canonical(expected));
      const listed = server.log.requests.filter((r) => r.path.endsWith('_metadata')).length;
      expect(listed).to.be.greaterThan(0);
      // Pruning by the copied statistics and partition values reads only the matching files.
      const pruned = await makeBatchReader(`${server.url}/`, { workers: 0, filters: [['coin', '=', 'solana'], ['qty', '<', 600]] });
      const solana = (await collect(pruned)).reduce((s, b) => s + b.numRows, 0);
      expect(solana).to.equal(Number((await duck(`SELECT count(*) n FROM read_parquet(${lit(join(dir, '**/*.parquet'))}, hive_partitioning = true) WHERE coin = 'solana' AND qty < 600`))[0]!.n));
      expect(pruned.stats.rowGroupsPruned).to.be.greaterThan(0);
    } finally {
      await server.close();
    }

    // DuckDB still reads the dataset (it skips _-files), and reads our _metadata as a Parquet footer with the
    // same row groups and statistics as the parts.
    expect(Number((await duck(`SELECT count(*) n FROM read_parquet(${lit(join(dir, '**/*.parquet'))}, hive_partitioning = true)`))[0]!.n)).to.equal(rows);
    const stats = (file: string, where = '') =>
      duck(`SELECT row_group_num_rows, path_in_schema, stats_min, stats_max, stats_null_count, total_compressed_size FROM parquet_metadata(${file}) ${where} ORDER BY ALL`);
    const fromParts = await stats(lit(join(dir, '**/*.parquet')));
    const fromSummary = await stats(lit(join(dir, '_metadata')));
    expect(fromSummary).to.deep.equal(fromParts);
    const kinds = await duck(`SELECT name, type, logical_type FROM parquet_schema(${lit(join(dir, '_metadata'))}) ORDER BY name`);
    const partKinds = await duck(`SELECT DISTINCT name, type, logical_type FROM parquet_schema(${lit(join(dir, 'coin=bitcoin', 'vs=usd', 'data_0.parquet'))}) ORDER BY name`);
    expect(kinds).to.deep.equal(partKinds);
  });

  it('tfpl metadata writes the files and reports them; a second run replaces them with the same bytes', async () => {
    const { dir } = await duckdbDataset();
    const groups = Number((await duck(`SELECT count(DISTINCT (file_name, row_group_id)) n FROM parquet_metadata(${lit(join(dir, '**/*.parquet'))})`))[0]!.n);
    const r = await runCli(['metadata', dir]);
    expect(r).to.deep.include({ code: 0, stderr: '' });
    expect(r.stdout).to.equal(`Wrote ${dir}/_metadata and ${dir}/_common_metadata: 3,000 rows in ${groups} row groups of 6 file(s).\n`);
    const first = readFileSync(join(dir, '_metadata'));
    const json = await runCli(['metadata', dir, '--json']);
    expect(JSON.parse(json.stdout)).to.deep.include({ numRows: 3000, rowGroups: groups });
    expect(readFileSync(join(dir, '_metadata')).equals(first)).to.equal(true);
  });

  it('keeps the Petastorm Unischema of an existing _common_metadata, so the store still reads its tensors', async function () {
    const legacy = sharedData(this, 'petastorm-legacy', '0.7.6');
    const dir = join(tmp(), 'peta');
    cpSync(legacy, dir, { recursive: true });
    rmSync(join(dir, '_metadata'), { force: true });
    const result = await writeSummaryFiles(dir);
    const store = await openStore(dir);
    expect(store.writer).to.equal('petastorm');
    expect(store.summary).to.equal('metadata');
    expect(store.numRows).to.equal(result.numRows);
    expect(store.fields.find((f) => f.name === 'matrix')).to.deep.include({ codec: 'ndarray', shape: [32, 16, 3] });
    const rows = (await collect(await makeBatchReader(dir, { workers: 0, columns: ['id', 'matrix'] }))).reduce((s, b) => s + b.numRows, 0);
    expect(rows).to.equal(100);
  });

  it('refuses a dataset whose files disagree on the schema, a store written by this SDK, and a folder with no data', async () => {
    const { dir } = await duckdbDataset();
    mkdirSync(join(dir, 'coin=zcash', 'vs=usd'), { recursive: true });
    await duck(`COPY (SELECT 'x' AS other) TO ${lit(join(dir, 'coin=zcash', 'vs=usd', 'data_0.parquet'))} (FORMAT PARQUET)`);
    const mixed = await writeSummaryFiles(dir).then(() => null, (e: Error) => e);
    expect(mixed).to.be.instanceOf(StoreError);
    expect(mixed!.message).to.match(/coin=zcash\/vs=usd\/data_0\.parquet has another Parquet schema than coin=bitcoin\/vs=eur\/data_0\.parquet/);
    expect(existsSync(join(dir, '_metadata'))).to.equal(false);

    const ours = join(tmp(), 'ours');
    await materializeDataset(ours, BitcoinSchema, [{ timestamp: T0, price_usd: 1, market_cap: 2, price_change_24h: null, total_volume: null }]);
    const sdk = await writeSummaryFiles(ours).then(() => null, (e: Error) => e);
    expect(sdk).to.be.instanceOf(StoreError);
    expect(sdk!.message).to.match(/is a store written by this SDK; its _metadata is written by materializeDataset/);

    const empty = join(tmp(), 'empty');
    writeFileSync(join(tmp(), 'not-a-dir.txt'), 'x');
    cpSync(join(tmp(), 'not-a-dir.txt'), join(empty, 'readme.txt'));
    const none = await writeSummaryFiles(empty).then(() => null, (e: Error) => e);
    expect(none!.message).to.match(/holds no Parquet data files/);
  });
});
