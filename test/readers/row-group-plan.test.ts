import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.js';
import { assignShards, epochSeed, RowGroupPlan, seededShuffle } from '../../src/readers/row-group-plan.js';

const rowGroupsArb = fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 60 }).map((sizes) => sizes.map((numRows, ordinal) => ({ ordinal, numRows })));

describe('RowGroupPlan', () => {
  it('puts every row group in exactly one shard, shards differing by at most the largest row group', () => {
    fc.assert(
      fc.property(rowGroupsArb, fc.integer({ min: 1, max: 8 }), (rgs, shardCount) => {
        fc.pre(rgs.length >= shardCount);
        const shards = assignShards(rgs, shardCount);
        const seen = shards.flat().map((r) => r.ordinal).sort((a, b) => a - b);
        expect(seen).to.deep.equal(rgs.map((r) => r.ordinal));
        const rows = shards.map((s) => s.reduce((n, r) => n + r.numRows, 0));
        const largest = Math.max(...rgs.map((r) => r.numRows));
        expect(Math.max(...rows) - Math.min(...rows)).to.be.at.most(largest);
        for (const s of shards) {
          expect(s.length).to.be.greaterThan(0);
          expect(s.map((r) => r.ordinal)).to.deep.equal([...s.map((r) => r.ordinal)].sort((a, b) => a - b));
        }
      }),
    );
  });

  it('splits equal row groups into shards whose sizes differ by at most one row group', () => {
    const rgs = Array.from({ length: 10 }, (_, ordinal) => ({ ordinal, numRows: 100 }));
    expect(assignShards(rgs, 3).map((s) => s.length)).to.deep.equal([4, 3, 3]);
  });

  it('refuses more shards than row groups, naming both counts', () => {
    expect(() => assignShards([{ ordinal: 0, numRows: 5 }], 2)).to.throw(ConfigError, /shardCount 2 exceeds the 1 row group/);
  });

  it('shuffles reproducibly from the seed, with a different order each epoch', () => {
    const rgs = Array.from({ length: 40 }, (_, ordinal) => ({ ordinal, numRows: 10 }));
    const a = new RowGroupPlan(rgs, { shardIndex: 0, shardCount: 1, shuffleRowGroups: true, seed: 42 });
    const b = new RowGroupPlan(rgs, { shardIndex: 0, shardCount: 1, shuffleRowGroups: true, seed: 42 });
    const c = new RowGroupPlan(rgs, { shardIndex: 0, shardCount: 1, shuffleRowGroups: true, seed: 43 });
    const order = (p: RowGroupPlan<{ ordinal: number; numRows: number }>, e: number) => p.epoch(e).map((r) => r.ordinal);
    expect(order(a, 0)).to.deep.equal(order(b, 0));
    expect(order(a, 1)).to.deep.equal(order(b, 1));
    expect(order(a, 0)).to.not.deep.equal(order(a, 1));
    expect(order(a, 0)).to.not.deep.equal(order(c, 0));
    expect([...order(a, 3)].sort((x, y) => x - y)).to.deep.equal(rgs.map((r) => r.ordinal));
  });

  it('keeps store order without shuffling', () => {
    const rgs = Array.from({ length: 5 }, (_, ordinal) => ({ ordinal, numRows: 1 }));
    const p = new RowGroupPlan(rgs, { shardIndex: 0, shardCount: 1, shuffleRowGroups: false, seed: 0 });
    expect(p.epoch(7).map((r) => r.ordinal)).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('derives distinct epoch seeds and shuffles as a permutation', () => {
    expect(new Set([0, 1, 2, 3].map((e) => epochSeed(1, e))).size).to.equal(4);
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer(), (xs, seed) => {
        expect([...seededShuffle(xs, seed)].sort()).to.deep.equal([...xs].sort());
      }),
    );
  });
});
