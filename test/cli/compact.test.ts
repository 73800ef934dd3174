import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/index.js';
import { sdkRows, sortedBySeries, writeTicks } from '../materialize/fixtures/market-ticks.js';
import { useTmpDir } from '../tmp-dir.js';
import { runCli } from './run-cli.js';

describe('tfpl compact', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  it('compacts a store of one part per tick and says what it did; a second run has nothing to do', async () => {
    const store = join(tmp(), 'market');
    await writeTicks(store, 0, 10);
    const before = await sdkRows(store);
    const r = await runCli(['compact', store, '--row-group-size', '16', '--retention', '0']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(`Compacted ${store}: 10 parts (10 row groups) → 2 parts (3 row groups); 40 rows rewritten from 10 small parts, removed.\n`);
    // --retention 0: the replaced parts are gone at once; only the two new parts are on disk.
    expect(readdirSync(store).filter((n) => n.endsWith('.parquet'))).to.have.length(2);
    expect(sortedBySeries(await sdkRows(store))).to.deep.equal(sortedBySeries(before));

    const again = await runCli(['compact', store, '--row-group-size', '16', '--json']);
    expect(again.code, again.stderr).to.equal(0);
    const json = JSON.parse(again.stdout) as { outcome: string; before: object; after: object };
    expect([json.outcome, json.before, json.after]).to.deep.equal(['unchanged', { parts: 2, rowGroups: 3, rows: 40, smallParts: 1 }, { parts: 2, rowGroups: 3, rows: 40, smallParts: 1 }]);
    const text = await runCli(['compact', store, '--row-group-size', '16']);
    expect(text.stdout).to.equal(`Nothing to compact in ${store}: no run of small parts (row groups under 16 rows) would make fewer row groups or files.\n`);
    expect((await openStore(store)).numRows).to.equal(40);
  });

  it('keeps replaced parts for the retention by default, and refuses a bad command line with exit 2', async () => {
    const store = join(tmp(), 'market');
    await writeTicks(store, 0, 3);
    const r = await runCli(['compact', store]);
    expect(r.stdout).to.equal(`Compacted ${store}: 3 parts (3 row groups) → 1 part (1 row group); 12 rows rewritten from 3 small parts, kept 600 s for readers of older commits.\n`);
    expect(readdirSync(store).filter((n) => n.endsWith('.parquet'))).to.have.length(4);
    for (const [argv, message] of [
      [['compact'], 'expected exactly one store folder or s3:// URL; received 0'],
      [['compact', store, '--retention', 'later'], '--retention must be a number of seconds >= 0; received "later"'],
      [['compact', store, '--row-group-size', '0'], '--row-group-size must be an integer >= 1; received "0"'],
    ] as const) {
      const bad = await runCli([...argv]);
      expect(bad.code, argv.join(' ')).to.equal(2);
      expect(bad.stderr).to.contain(`tfpl compact: ${message}`);
    }
    const missing = await runCli(['compact', join(tmp(), 'nothing')]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^tfpl compact: StoreError: compactStore: store .*nothing does not exist/);
  });
});
