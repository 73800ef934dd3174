import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_FIXTURES, SHARED_DATA } from './shared-data.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

describe('fixtures in the repository', () => {
  it('every folder carries its provenance and a licence file', () => {
    const folders = readdirSync(REPO_FIXTURES).filter((n) => statSync(join(REPO_FIXTURES, n)).isDirectory()).sort();
    expect(folders).to.deep.equal(['btc', 'coingecko', 'parquet-testing', 'petastorm-legacy']);
    for (const f of folders) {
      const files = filesUnder(join(REPO_FIXTURES, f)).map((p) => relative(join(REPO_FIXTURES, f), p));
      expect(files, f).to.include('PROVENANCE.md');
      expect(files.some((p) => /(^|\/)LICEN[CS]E/i.test(p)) || readFileSync(join(REPO_FIXTURES, f, 'PROVENANCE.md'), 'utf8').includes('Apache License 2.0'), `${f}: a licence`).to.equal(true);
    }
  });

  it('every file is byte-identical to its copy in ../shared/data', function () {
    if (!existsSync(SHARED_DATA)) this.skip(); // a plain clone: nothing to compare with (never under CI, which has it)
    const files = filesUnder(REPO_FIXTURES).filter((p) => !p.endsWith(join('fixtures', 'README.md')));
    expect(files.length).to.equal(154);
    for (const p of files) {
      const rel = relative(REPO_FIXTURES, p);
      expect(readFileSync(p).equals(readFileSync(join(SHARED_DATA, rel))), rel).to.equal(true);
    }
  });
});
