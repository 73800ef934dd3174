/** An abort signal that fires when its parent aborts or after `timeoutMs`, whichever comes first. */
export interface DeadlineSignal {
  readonly signal: AbortSignal;
  /** True when the time ran out (as opposed to the parent aborting). */
  readonly timedOut: boolean;
  /** Clears the timer and the listener on the parent; call when the guarded work is done. */
  dispose(): void;
}

const MAX_TIMER_MS = 2_147_483_647;

/**
 * Like `AbortSignal.any([parent, AbortSignal.timeout(ms)])`, but disposable: a collector running for weeks with
 * one parent signal must not accumulate a listener and a timer per call.
 *
 * @example
 * const deadline = deadlineSignal(5_000, userSignal);
 * try { await fetch(url, { signal: deadline.signal }); } finally { deadline.dispose(); }
 */
export function deadlineSignal(timeoutMs: number, parent?: AbortSignal): DeadlineSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent!.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
  }, Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS));
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}
