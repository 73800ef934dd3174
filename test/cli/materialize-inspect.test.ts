import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedData } from '../shared-data.js';
import { useTmpDir } from '../tmp-dir.js';
import { runCli } from './run-cli.js';

describe('tfpl materialize / inspect', () => {
  const tmp = useTmpDir();

  it('materializes the CoinGecko export and inspects the store, as text and as JSON', async function () {
    const csv = join(sharedData(this, 'btc', 'daily'), 'coingecko_btc-usd-max_2013-04-28_2026-01-13.csv');
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
    expect(noStore.stderr).to.match(/^tfpl materialize: --store <dir> is required\n\nUsage: tfpl materialize <csv> --store <dir>/);
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
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
    const out = execFileSync(process.execPath, [join(root, 'bin', 'tfpl.js'), '--help'], { encoding: 'utf8' });
    expect(out).to.match(/^Usage: tfpl <command> \[options\]/);
    expect(out).to.match(/materialize\s+import a price CSV/);
  });
});
