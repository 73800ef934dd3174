/** A structured event from the client, backfill or collector; `reason` says why something was skipped or retried. */
export interface IngestLogEvent {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  reason?: string;
  [key: string]: unknown;
}

/** Receives every event; must not throw. */
export type IngestLogger = (event: IngestLogEvent) => void;

/**
 * The default logger: one line per event on stderr, debug events dropped.
 *
 * @example
 * stderrLogger({ level: 'warn', message: 'tick 3 skipped', reason: 'rate-limited' });
 * // 2026-11-29T12:00:00.000Z warn tick 3 skipped (rate-limited)
 */
export function stderrLogger(event: IngestLogEvent): void {
  if (event.level === 'debug') return;
  const reason = event.reason === undefined ? '' : ` (${event.reason})`;
  process.stderr.write(`${new Date().toISOString()} ${event.level} ${event.message}${reason}\n`);
}
