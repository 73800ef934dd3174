import type { Clock } from './clock.js';

/**
 * Keeps calls to at most `callsPerMinute` by spacing their starts `60 000 / callsPerMinute` ms apart. Spacing
 * (rather than bursts within a minute) matches how CoinGecko's limiter reacts: a burst trips 429 even when the
 * minute's total is within the plan.
 *
 * @example
 * const limiter = new RateLimiter(30);
 * await limiter.acquire(); // first call at once, the next one 2 s later
 */
export class RateLimiter {
  readonly intervalMs: number;
  private next = -Infinity;
  private readonly clock: Clock;

  constructor(callsPerMinute: number, clock: Clock) {
    this.intervalMs = 60_000 / callsPerMinute;
    this.clock = clock;
  }

  /**
   * Waits for this call's slot. Slots are handed out in call order, so concurrent callers queue fairly.
   * Returns false at once, without taking a slot, when the next free slot starts at or after `deadline`.
   */
  async acquire(signal?: AbortSignal, deadline?: number): Promise<boolean> {
    const now = this.clock.now();
    const slot = Math.max(now, this.next);
    if (deadline !== undefined && slot >= deadline) return false;
    this.next = slot + this.intervalMs;
    try {
      await this.clock.sleep(slot - now, signal);
    } catch (err) {
      // give the unused slot back if nobody queued behind it
      if (this.next === slot + this.intervalMs) this.next = slot;
      throw err;
    }
    return true;
  }
}
