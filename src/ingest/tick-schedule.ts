import type { Clock } from './clock.js';
import type { IngestLogger } from './log.js';

/** One tick about to run: due at `due`, owning the slot up to `end` (when the next tick is due). */
export interface TickSlot {
  tick: number;
  due: number;
  end: number;
  /** The clock when the tick started (at or after `due`, before `end`). */
  now: number;
}

export interface TickScheduleOptions {
  /** Due time of tick 0 (epoch ms). */
  start: number;
  intervalMs: number;
  count?: number;
  until?: number;
  signal?: AbortSignal;
  clock: Clock;
  log: IngestLogger;
  /** Leads the log lines (`collect`, `collectMarket`). */
  caller: string;
}

/**
 * Runs ticks on a fixed wall-clock grid: tick k is due at `start + k·intervalMs` whatever happened before,
 * so a slow tick never shifts later ones. Ticks whose whole slot passed before they could start (a stalled
 * process) are reported to `missed` after one log line however many they were. Stops after `count` ticks,
 * at `until`, when `signal` aborts, or when `tick` returns `'stop'`.
 *
 * @example
 * await runTickSchedule({ start: Date.now(), intervalMs: 60_000, clock, log, caller: 'collect' }, {
 *   missed: (tick, due) => report(tick, due),
 *   tick: async ({ tick, end }) => { await poll(end); return 'continue'; },
 * });
 */
export async function runTickSchedule(o: TickScheduleOptions, handlers: { missed(tick: number, due: number): void; tick(slot: TickSlot): Promise<'continue' | 'stop'> }): Promise<void> {
  const I = o.intervalMs;
  for (let k = 0; !o.signal?.aborted; k++) {
    if (o.count !== undefined && k >= o.count) break;
    const due = o.start + k * I;
    if (o.until !== undefined && due >= o.until) break;
    try {
      await o.clock.sleep(due - o.clock.now(), o.signal);
    } catch (err) {
      if (o.signal?.aborted) break;
      throw err;
    }
    const now = o.clock.now();
    if (now >= due + I) {
      // slots that passed entirely while the process was stalled: one log line however many there were
      let missed = Math.floor((now - due) / I);
      if (o.count !== undefined) missed = Math.min(missed, o.count - k);
      if (o.until !== undefined) missed = Math.min(missed, Math.ceil((o.until - due) / I));
      const span = missed === 1 ? `tick ${k}` : `ticks ${k}..${k + missed - 1}`;
      o.log({ level: 'warn', message: `${o.caller}: ${span} (due from ${new Date(due).toISOString()}) missed: their slots ended before they could start`, reason: 'missed', tick: k, missed });
      for (let j = 0; j < missed; j++) handlers.missed(k + j, due + j * I);
      k += missed - 1;
      continue;
    }
    if ((await handlers.tick({ tick: k, due, end: due + I, now })) === 'stop') break;
  }
}
