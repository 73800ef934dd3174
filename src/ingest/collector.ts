import { z } from 'zod';
import { ConfigError, TfplError } from '../errors.js';
import { type Clock, systemClock } from './clock.js';
import { CoinGeckoError } from './coingecko-error.js';
import { CsvRowSink } from './csv-sink.js';
import { deadlineSignal } from './deadline-signal.js';
import { type IngestLogger, stderrLogger } from './log.js';
import { parseOptions } from '../options.js';
import type { PriceRow } from './price-row.js';
import type { RowSink } from './row-sink.js';
import { runTickSchedule } from './tick-schedule.js';

/** The part of `CoinGeckoClient` the collector needs. */
export interface SimplePriceSource {
  /** When present (as on `CoinGeckoClient`), an interval shorter than its spacing draws a warning. */
  readonly callsPerMinute?: number;
  simplePrice(options: { ids: string[]; vsCurrency: string; signal?: AbortSignal; deadline?: number }): Promise<Record<string, PriceRow>>;
}

/**
 * What became of one tick. `tick` k is due at `start + k·intervalMs` and owns the slot up to the next tick:
 * - `written`: a new row was appended and fsynced;
 * - `duplicate`: the price had the same (or an older) `last_updated_at` as the last stored row, so nothing was written;
 * - `skipped`: the call failed or its body was unusable; `reason` is the `CoinGeckoError.failure` (`rate-limited`,
 *   `http-status`, `timeout`, `network`, `invalid-body`, `throttled`) or `deadline` (no answer before the slot ended),
 *   and `message` says what happened;
 * - `missed`: the whole slot had passed before the tick could start (the process was stalled).
 */
export interface TickReport {
  tick: number;
  due: number;
  outcome: 'written' | 'duplicate' | 'skipped' | 'missed';
  reason?: string;
  message?: string;
  row?: PriceRow;
}

export interface CollectResult {
  ticks: number;
  written: number;
  duplicates: number;
  skipped: number;
  missed: number;
  lastTimestamp: number | null;
}

const isFunction = (v: unknown) => typeof v === 'function';

/** Why a failed call skips its tick: the `CoinGeckoError.failure` (or the error's code), or `deadline` when its slot ran out. */
export function skipReason(err: TfplError, timedOut: boolean): { reason: string; message: string } {
  if (timedOut) return { reason: 'deadline', message: `no answer before the next tick: ${err.message}` };
  return { reason: err instanceof CoinGeckoError ? err.failure : err.code, message: err.message };
}

const collectSchema = z
  .strictObject({
    client: z.custom<SimplePriceSource>((v) => !!v && isFunction((v as SimplePriceSource).simplePrice), { error: 'must have simplePrice(), e.g. a CoinGeckoClient' }),
    intervalMs: z.number().int().min(1, { error: 'must be an integer >= 1' }),
    count: z.number().int().min(1, { error: 'must be an integer >= 1' }).optional(),
    until: z.union([z.number().int(), z.date()], { error: 'must be epoch milliseconds or a Date' }).transform((v) => (typeof v === 'number' ? v : v.getTime())).optional(),
    csvPath: z.string().min(1, { error: 'must be a file path' }).optional(),
    sink: z.custom<RowSink>((v) => !!v && isFunction((v as RowSink).append) && isFunction((v as RowSink).lastTimestamp), { error: 'must implement RowSink' }).optional(),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'must be a CoinGecko id such as "bitcoin"' }).default('bitcoin'),
    vsCurrency: z.string().regex(/^[a-z0-9]+$/i, { error: 'must be a currency code such as "usd"' }).default('usd'),
    startAt: z.number().int().optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional(),
    clock: z.custom<Clock>((v) => !!v && isFunction((v as Clock).now) && isFunction((v as Clock).sleep), { error: 'must be { now(), sleep(ms, signal) }' }).optional(),
    log: z.custom<IngestLogger>(isFunction, { error: 'must be a function' }).optional(),
    onTick: z.custom<(report: TickReport) => void>(isFunction, { error: 'must be a function' }).optional(),
  })
  .refine((o) => (o.sink === undefined) !== (o.csvPath === undefined), { error: 'give exactly one of sink, csvPath', path: ['sink'] });

/**
 * Options of `collect`:
 * - `client`: a `CoinGeckoClient` (or any `SimplePriceSource`).
 * - `intervalMs`: tick spacing on the wall clock.
 * - `count`: number of ticks (written, skipped or missed alike); `until`: no tick at or after this instant
 *   (epoch ms or Date). Without both, runs until `signal` aborts.
 * - `csvPath` or `sink`: where rows go (exactly one).
 * - `id`, `vsCurrency`: default `'bitcoin'`, `'usd'`.
 * - `startAt`: due time of tick 0 (epoch ms); default now.
 * - `signal`: stops after the current write; `clock`, `log`, `onTick`: injected time, event sink, per-tick report.
 */
export type CollectOptions = z.input<typeof collectSchema>;

/**
 * Polls `/simple/price` at fixed wall-clock ticks and appends each new row (fsynced) to a CSV or sink.
 *
 * Tick k is due at `startAt + k·intervalMs` whatever happened before, so a slow or failed call never shifts later
 * ticks: each call is abandoned when its slot ends, a tick whose slot already passed is reported `missed`, and a
 * bad response is logged with its reason and skipped. Restarting on an existing CSV continues after its last
 * timestamp without repeating one.
 *
 * @example
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * await collect({ client: new CoinGeckoClient(), intervalMs: 60_000, csvPath: 'btc.csv', signal: controller.signal });
 */
export async function collect(options: CollectOptions): Promise<CollectResult> {
  const o = parseOptions('collect', collectSchema, options);
  const clock = o.clock ?? systemClock;
  const log = o.log ?? stderrLogger;
  const sink = o.sink ?? (await CsvRowSink.open(o.csvPath!, log));
  const result: CollectResult = { ticks: 0, written: 0, duplicates: 0, skipped: 0, missed: 0, lastTimestamp: await sink.lastTimestamp() };
  const report = (r: TickReport) => {
    o.onTick?.(r);
    if (r.outcome === 'written') result.written++;
    else if (r.outcome === 'duplicate') result.duplicates++;
    else if (r.outcome === 'skipped') result.skipped++;
    else result.missed++;
    result.ticks++;
  };
  const start = o.startAt ?? clock.now();
  const I = o.intervalMs;
  const cpm = o.client.callsPerMinute;
  if (cpm !== undefined && 60_000 / cpm > I) {
    log({ level: 'warn', message: `collect: intervalMs ${I} is shorter than the client's rate-limit spacing of ${60_000 / cpm} ms (${cpm} calls/min); ticks will be skipped while waiting for it`, reason: 'rate-limit' });
  }
  try {
    await runTickSchedule(
      { start, intervalMs: I, count: o.count, until: o.until, signal: o.signal, clock, log, caller: 'collect' },
      {
        missed: (tick, due) => report({ tick, due, outcome: 'missed', reason: 'missed' }),
        tick: async ({ tick: k, due, end, now }) => {
          // the call may use the rest of its slot, not more: the next tick must start on time
          const slot = deadlineSignal(end - now, o.signal);
          let row: PriceRow | undefined;
          try {
            row = (await o.client.simplePrice({ ids: [o.id], vsCurrency: o.vsCurrency, signal: slot.signal, deadline: end }))[o.id];
            if (row === undefined) throw new CoinGeckoError(`no row for ${JSON.stringify(o.id)} in the answer`, { failure: 'invalid-body', endpoint: '/simple/price' });
          } catch (err) {
            if (o.signal?.aborted) return 'stop';
            if (!(err instanceof TfplError) || err instanceof ConfigError) throw err;
            const { reason, message } = skipReason(err, slot.timedOut);
            log({ level: 'warn', message: `collect: tick ${k} skipped: ${message}`, reason, tick: k });
            report({ tick: k, due, outcome: 'skipped', reason, message });
            return 'continue';
          } finally {
            slot.dispose();
          }
          if (result.lastTimestamp !== null && row.timestamp <= result.lastTimestamp) {
            log({ level: 'info', message: `collect: tick ${k}: price last updated ${new Date(row.timestamp).toISOString()} is already stored`, reason: 'duplicate-timestamp', tick: k });
            report({ tick: k, due, outcome: 'duplicate', reason: 'duplicate-timestamp', row });
            return 'continue';
          }
          // not given the signal: an abort arriving now still lets this write finish
          await sink.append([row]);
          result.lastTimestamp = row.timestamp;
          log({ level: 'info', message: `collect: tick ${k}: stored ${new Date(row.timestamp).toISOString()} price ${row.price_usd}`, tick: k });
          report({ tick: k, due, outcome: 'written', row });
          return 'continue';
        },
      },
    );
  } finally {
    if (o.sink === undefined) await sink.close?.();
  }
  return result;
}
