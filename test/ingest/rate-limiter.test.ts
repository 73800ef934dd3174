import { expect } from 'chai';
import { RateLimiter } from '../../src/ingest/rate-limiter.js';
import { FakeClock } from './replay-server.js';

describe('RateLimiter', () => {
  it('starts calls 60 000 / callsPerMinute ms apart', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(100, clock);
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      await limiter.acquire();
      starts.push(clock.t);
    }
    expect(starts).to.deep.equal([0, 600, 1200]);
  });

  it('queues concurrent callers into consecutive slots', async () => {
    let t = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(100, { now: () => t, sleep: async (ms) => void waits.push(ms) });
    await Promise.all([limiter.acquire(), limiter.acquire(), limiter.acquire()]);
    expect(waits).to.deep.equal([0, 600, 1200]);
    t = 100;
    await limiter.acquire();
    expect(waits.at(-1)).to.equal(1700);
  });

  it('does not wait when calls are already further apart than the spacing', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(30, clock);
    await limiter.acquire();
    clock.t += 5000;
    await limiter.acquire();
    expect(clock.sleeps).to.deep.equal([0, 0]);
  });

  it('gives an aborted waiter\'s slot back', async () => {
    const clock = new FakeClock(0);
    const limiter = new RateLimiter(60, clock);
    await limiter.acquire();
    const controller = new AbortController();
    controller.abort();
    let aborted = false;
    await limiter.acquire(controller.signal).catch(() => (aborted = true));
    await limiter.acquire();
    expect(aborted).to.equal(true);
    expect(clock.sleeps).to.deep.equal([0, 1000]);
  });
});
