/** How the client waits between attempts; every field is documented with its default on `CoinGeckoClientOptions`. */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** In [0, 1); `Math.random` unless injected. */
  random: () => number;
}

/**
 * Delay before retry number `attempt` (1-based) after a 408/5xx/network failure: exponential with "equal jitter",
 * i.e. uniformly in [d/2, d) where d = min(maxDelayMs, baseDelayMs · 2^(attempt-1)), so clients that failed
 * together do not retry together, yet each still waits at least half the backoff.
 *
 * @example
 * backoffDelay(3, { baseDelayMs: 500, maxDelayMs: 30_000, random: () => 0 }); // 1000
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(ceiling / 2 + policy.random() * (ceiling / 2));
}
