/** Work between turns of the event loop, at most: long enough that a turn costs ~1 %. */
const TURN_EVERY_MS = 4;

/** A macrotask: `setImmediate` in Node, a MessageChannel message in a page (not setTimeout's 4 ms clamp). */
function macrotask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => immediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Lets the event loop run every few milliseconds of a consumer's loop. A consumer that takes batch after
 * batch whose promises are already settled runs on microtasks alone: I/O completions and decode threads'
 * messages (their answers, and their requests for bytes) wait until it blocks, so the threads starve while
 * the caller has work. `due()` gives a turn to await when one is due, else null (no promise made).
 *
 * @example
 * const turns = new EventLoopTurns(); for (...) { const turn = turns.due(); if (turn) await turn; yield batch; }
 */
export class EventLoopTurns {
  #last = performance.now();

  due(): Promise<void> | null {
    const now = performance.now();
    if (now - this.#last < TURN_EVERY_MS) return null;
    this.#last = now;
    return macrotask();
  }
}
