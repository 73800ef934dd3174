import { expect } from 'chai';
import { builtDist } from '../built-dist.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../shared-data.js';
import { useTmpDir } from '../tmp-dir.js';
import { startStaticServer } from '../static-server.js';
import { runCli } from './run-cli.js';

describe('tfpl materialize / inspect', () => {
  const tmp = useTmpDir();

  it('materializes the CoinGecko export and inspects the store, as text and as JSON', async function () {
    const csv = sharedData(this, 'btc', 'daily', 'coingecko_btc-usd-max_2013-04-28_2026-01-13.csv');
    const store = join(tmp(), 'btc');
    const m = await runCli(['materialize', csv, '--store', store, '--row-group-size', '2000']);
    expect(m).to.deep.include({ code: 0, stderr: '' });
    expect(m.stdout).to.equal(`Wrote 4,642 rows (coingecko-export layout) in 3 row groups, 1 part file(s) to ${store}; the store now holds 4,642 rows.\n`);
    const text = await runCli(['inspect', store]);
    expect(text.code).to.equal(0);
    expect(text.stdout).to.match(/4,642 rows, 3 row groups, 1 files, .* KiB, compression ZSTD, indexed by _metadata/);
    expect(text.stdout).to.match(/price_change_24h\s+float32\s+-\s+scalar\s+yes/);
    expect(text.stdout).to.match(/2013-04-28T00:00:00Z\.\.2018-10-20T00:00:00Z/);
    const json = await runCli(['inspect', store, '--json']);
    const info = JSON.parse(json.stdout);
    expect(info.numRows).to.equal(4642);
    expect(info.rowGroups.map((rg: { numRows: number }) => rg.numRows)).to.deep.equal([2000, 2000, 642]);
    expect(info.rowGroups[2].stats.timestamp.max).to.equal(Date.UTC(2026, 0, 13));
    expect(info.schema.fields.map((f: { name: string }) => f.name)).to.deep.equal(['timestamp', 'price_usd', 'market_cap', 'price_change_24h', 'total_volume']);
    expect(info.compression).to.deep.equal(['ZSTD']);
  });

  it('inspects a Petastorm store: tensor fields as tensors with their shape, the partition key, the writer', async function () {
    const dir = sharedData(this, 'petastorm-legacy', '0.7.6');
    const text = await runCli(['inspect', dir]);
    expect(text).to.deep.include({ code: 0, stderr: '' });
    expect(text.stdout).to.match(/Schema TestSchema, written by Python Petastorm/);
    expect(text.stdout).to.match(/\nmatrix\s+float32\s+\[32, 16, 3\]\s+ndarray\s+no\n/);
    expect(text.stdout).to.match(/\nimage_png\s+uint8\s+\[32, 16, 3\]\s+image\s+no\n/);
    expect(text.stdout).to.match(/\npartition_key \(partition\)\s+string\s+-\s+scalar\s+no\n/);
    const json = JSON.parse((await runCli(['inspect', dir, '--json'])).stdout);
    expect(json).to.deep.include({ writer: 'petastorm', name: 'TestSchema', numRows: 100, schema: null });
    expect(json.fields.find((f: { name: string }) => f.name === 'matrix')).to.deep.equal({ name: 'matrix', dtype: 'float32', shape: [32, 16, 3], codec: 'ndarray', nullable: false, partition: false });
  });

  it('inspects a store over HTTP, with the headers it needs', async () => {
    const store = join(tmp(), 'remote');
    const csv = join(tmp(), 'r.csv');
    writeFileSync(csv, `timestamp,price_usd,market_cap,price_change_24h,total_volume\n${Array.from({ length: 50 }, (_, i) => `${new Date(Date.UTC(2024, 0, 1, i)).toISOString()},${100 + i},${1e9 + i},,`).join('\n')}\n`);
    expect((await runCli(['materialize', csv, '--store', store, '--row-group-size', '20'])).code).to.equal(0);
    const server = await startStaticServer(store, true, { requireHeaders: { authorization: 'Bearer k' } });
    try {
      const ok = await runCli(['inspect', `${server.url}/`, '--header', 'Authorization: Bearer k', '--json']);
      expect(ok.code).to.equal(0);
      const info = JSON.parse(ok.stdout);
      expect(info).to.deep.include({ writer: 'tfjs-parquet-loader', name: 'BitcoinSchema', numRows: 50, summary: 'metadata' });
      expect(info.rowGroups.map((rg: { numRows: number }) => rg.numRows)).to.deep.equal([20, 20, 10]);
      expect(info.rowGroups[2].stats.price_usd).to.deep.equal({ min: 140, max: 149, nullCount: 0 });
      const refused = await runCli(['inspect', `${server.url}/`]);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/ParquetReadError: .*_metadata: HTTP HEAD answered 401/);
      const badHeader = await runCli(['inspect', `${server.url}/`, '--header', 'no colon']);
      expect(badHeader.code).to.equal(2);
      expect(badHeader.stderr).to.match(/--header must look like "Name: value"/);
    } finally {
      await server.close();
    }
  });

  it('reports skipped lines with --skip-invalid and --json', async () => {
    const csv = join(tmp(), 'p.csv');
    writeFileSync(csv, 'timestamp,price_usd,market_cap,price_change_24h,total_volume\n2024-01-01T00:00:00Z,1,2,,\n2024-01-01T01:00:00Z,x,2,,\n');
    const r = await runCli(['materialize', csv, '--store', join(tmp(), 's'), '--skip-invalid', '--json']);
    expect(r.code).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.include({ numRows: 1, skipped: 1, skippedLines: [{ line: 3, reason: 'field "price_usd" (float32): cannot parse "x" as float32' }] });
  });

  it('exits 2 with the usage on a bad command line, and 1 with the reason when the work fails', async () => {
    const noStore = await runCli(['materialize', 'x.csv']);
    expect(noStore.code).to.equal(2);
    expect(noStore.stderr).to.match(/^tfpl materialize: --store <dir> is required\n\nUsage: tfpl materialize <csv> --store <dir \| s3:\/\/bucket\/prefix>/);
    const badMode = await runCli(['materialize', 'x.csv', '--store', 's', '--mode', 'upsert']);
    expect(badMode.code).to.equal(2);
    expect(badMode.stderr).to.match(/--mode must be one of create, append, overwrite; received "upsert"/);
    const unknownFlag = await runCli(['inspect', 'a', '--colour']);
    expect(unknownFlag.code).to.equal(2);
    expect(unknownFlag.stderr).to.match(/Unknown option '--colour'/);
    const unknownCommand = await runCli(['materialise']);
    expect(unknownCommand.code).to.equal(2);
    expect(unknownCommand.stderr).to.match(/unknown command "materialise"; valid commands: .*materialize/);
    const missing = await runCli(['inspect', join(tmp(), 'nothing')]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/StoreError: openStore: store .*nothing does not exist; check the path, or create the store with materializeDataset\(\) or `tfpl materialize`/);
    const help = await runCli(['inspect', '--help']);
    expect(help).to.deep.include({ code: 0, stderr: '' });
    expect(help.stdout).to.match(/^Usage: tfpl inspect <store> \[--json\]/);
  });

  it('runs as the installed bin from the built dist/', function () {
    this.timeout(120_000);
    const root = join(import.meta.dirname, '..', '..');
    builtDist();
    const out = execFileSync(process.execPath, [join(root, 'bin', 'tfpl.js'), '--help'], { encoding: 'utf8' });
    expect(out).to.match(/^Usage: tfpl <command> \[options\]/);
    expect(out).to.match(/materialize\s+import a price CSV/);
  });
});
