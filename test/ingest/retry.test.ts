import { expect } from 'chai';
import { backoffDelay } from '../../src/ingest/retry.js';

describe('backoffDelay', () => {
  it('doubles per attempt with equal jitter in [d/2, d) and stops at maxDelayMs', () => {
    const low = { baseDelayMs: 500, maxDelayMs: 30_000, random: () => 0 };
    const high = { ...low, random: () => 0.999 };
    expect([1, 2, 3, 4, 8].map((n) => backoffDelay(n, low))).to.deep.equal([250, 500, 1000, 2000, 15_000]);
    expect([1, 2, 3, 4, 8].map((n) => backoffDelay(n, high))).to.deep.equal([499, 999, 1999, 3998, 29_985]);
  });
});
