/**
 * `promise`, or a rejection naming `what` when it takes longer than `ms`: the "bounded time" of the hostile
 * input tests. A generous per-case bound that fails the test, not a measurement.
 */
export async function withinMs<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
