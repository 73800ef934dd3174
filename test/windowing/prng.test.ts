import { expect } from 'chai';
import { createPrng, deriveSeed } from '../../src/windowing/prng.js';
import { WindowShuffleBuffer } from '../../src/windowing/shuffle-buffer.js';
import { windowGeometry } from '../../src/windowing/window-plan.js';
import { WindowWriter } from '../../src/windowing/window-writer.js';

describe('windowing/prng', () => {
  it('repeats the same sequence for the same seed (mulberry32(42) starts 0.6011037…, the published reference value)', () => {
    const a = createPrng(42);
    const first = [a.next(), a.next(), a.next()];
    const b = createPrng(42);
    expect([b.next(), b.next(), b.next()]).to.deep.equal(first);
    expect(first.map((v) => Math.floor(v * 1e6))).to.deep.equal([601103, 448290, 852465]);
  });

  it('draws integers uniformly in [0, n)', () => {
    const rng = createPrng(7);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.nextInt(10)]++;
    for (const c of counts) expect(c).to.be.within(9_500, 10_500);
  });

  it('derives distinct per-epoch seeds from one seed', () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, e) => deriveSeed(123, e)));
    expect(seeds.size).to.equal(1000);
    expect(deriveSeed(123, 4)).to.equal(deriveSeed(123, 4));
  });
});

describe('windowing/WindowShuffleBuffer', () => {
  it('emits every window once, with its targets, in a seeded order', () => {
    const run = () => {
      // Windows of one step of two features and one target.
      const geom = windowGeometry({ windowSize: 1, horizon: 1, samplingRate: 1, stride: 1, lead: 0 });
      const writer = new WindowWriter(geom, 2, Int32Array.of(0, 1), Int32Array.of(0), { series: false, statics: null, staticCount: 0, calendar: false });
      const buf = new WindowShuffleBuffer(4, writer, createPrng(1));
      const out = writer.allocate(20);
      let k = 0;
      for (let w = 0; w < 20; w++) {
        if (buf.full) buf.popRandomInto(out, k++);
        const slot = buf.pushSlot();
        buf.windows.xs[slot * 2] = w;
        buf.windows.xs[slot * 2 + 1] = w + 0.5;
        buf.windows.ys[slot] = 100 + w;
      }
      while (buf.size > 0) buf.popRandomInto(out, k++);
      return { outX: Array.from(out.xs), outY: Array.from(out.ys) };
    };
    const { outX, outY } = run();
    expect(run().outX).to.deep.equal(outX);
    const firsts = outX.filter((_, i) => i % 2 === 0);
    expect([...firsts].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
    expect(outX.filter((_, i) => i % 2 === 1)).to.deep.equal(firsts.map((v) => v + 0.5));
    expect(outY).to.deep.equal(firsts.map((v) => 100 + v));
    // bounded buffer of 4: window w cannot come out before output position w − 4
    firsts.forEach((w, pos) => expect(pos).to.be.at.least(w - 4));
  });
});
