import { expect } from 'chai';
import fc from 'fast-check';
import { drawdown, exponentialMovingAverage, logReturns, periodsPerYearOf, rollingVolatility, simpleMovingAverage } from '../../../src/forecasting/index.js';

/** Naive references, straight from the definitions. */
function naiveSma(x: number[], w: number): number[] {
  return x.map((_, i) => (i < w - 1 ? NaN : x.slice(i - w + 1, i + 1).reduce((a, b) => a + b, 0) / w));
}
function naiveVol(p: number[], w: number): number[] {
  const r = p.map((v, i) => (i === 0 ? NaN : Math.log(v / p[i - 1]!)));
  return r.map((_, i) => {
    if (i < w) return NaN;
    const win = r.slice(i - w + 1, i + 1);
    const m = win.reduce((a, b) => a + b, 0) / w;
    return Math.sqrt(win.reduce((a, b) => a + (b - m) ** 2, 0) / (w - 1));
  });
}
function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).to.equal(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i]!)) expect(a[i], `index ${i}`).to.be.NaN;
    else expect(a[i]!, `index ${i}`).to.be.closeTo(b[i]!, tol * Math.max(1, Math.abs(b[i]!)));
  }
}

describe('analytics/indicators', () => {
  it('simple moving average matches the definition, NaN before the first full window', () => {
    expect(Array.from(simpleMovingAverage(Float64Array.of(1, 2, 3, 4), 2))).to.deep.equal([NaN, 1.5, 2.5, 3.5]);
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (x, w) => {
        close(simpleMovingAverage(Float64Array.from(x), w), naiveSma(x, w), 1e-9);
      }),
    );
  });

  it('simple moving average is NaN for every window holding a missing value', () => {
    const sma = simpleMovingAverage(Float64Array.of(1, 2, NaN, 4, 5, 6), 2);
    expect(Array.from(sma)).to.deep.equal([NaN, 1.5, NaN, NaN, 4.5, 5.5]);
  });

  it('exponential moving average follows pandas ewm(adjust=False) and carries over gaps', () => {
    expect(Array.from(exponentialMovingAverage(Float64Array.of(1, 2, 3), { span: 3 }))).to.deep.equal([1, 1.5, 2.25]);
    expect(Array.from(exponentialMovingAverage(Float64Array.of(2, NaN, 4), { alpha: 0.5 }))).to.deep.equal([2, 2, 3]);
    expect(() => exponentialMovingAverage([1], {})).to.throw(/exactly one of span, alpha/);
    expect(() => simpleMovingAverage([1], 0)).to.throw(/simpleMovingAverage: window must be >= 1; received 0/);
    expect(() => simpleMovingAverage([1], 2.5)).to.throw(/simpleMovingAverage: window must be an integer; received 2.5/);
  });

  it('rolling volatility is the sample std of the last window log returns, annualised on request', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 100, max: 200, noNaN: true }), { minLength: 3, maxLength: 200 }), fc.integer({ min: 2, max: 30 }), (p, w) => {
        close(rollingVolatility(Float64Array.from(p), { window: w }), naiveVol(p, w), 1e-7);
      }),
    );
    const p = Float64Array.of(100, 101, 99, 102, 100);
    const plain = rollingVolatility(p, { window: 3 });
    const annual = rollingVolatility(p, { window: 3, periodsPerYear: 8766 });
    expect(annual[4]!).to.be.closeTo(plain[4]! * Math.sqrt(8766), 1e-12);
    expect(Array.from(logReturns(Float64Array.of(100, 110)))[1]).to.be.closeTo(Math.log(1.1), 1e-15);
  });

  it('derives periods per year from the median time step', () => {
    const hourly = Float64Array.from({ length: 100 }, (_, i) => i * 3_600_000);
    expect(periodsPerYearOf(hourly)).to.be.closeTo(8766, 1e-9);
    const daily = Float64Array.from({ length: 100 }, (_, i) => i * 86_400_000);
    expect(periodsPerYearOf(daily)).to.be.closeTo(365.25, 1e-9);
  });

  it('drawdown measures the fall from the running peak and locates the worst one', () => {
    const d = drawdown(Float64Array.of(100, 120, 90, 130, 117));
    expect(Array.from(d.drawdown)).to.deep.equal([0, 0, 90 / 120 - 1, 0, 117 / 130 - 1]);
    expect(d.maxDrawdown).to.equal(-0.25);
    expect([d.peakIndex, d.troughIndex]).to.deep.equal([1, 2]);
    expect(drawdown(Float64Array.of(1, 2, 3)).maxDrawdown).to.equal(0);
  });
});
