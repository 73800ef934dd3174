import { z } from 'zod';
import { ConfigError, TfplError } from '../errors.js';
import { parseOptions } from '../options.js';
import { type Clock, systemClock } from './clock.js';
import { type SimplePriceSource, skipReason } from './collector.js';
import { deadlineSignal } from './deadline-signal.js';
import { type IngestLogger, stderrLogger } from './log.js';
import { type MarketRow, type MarketRowSink, type MarketSeries, seriesKey } from './market-sink.js';
import type { PriceRow } from './price-row.js';
import { runTickSchedule } from './tick-schedule.js';

/** A `/simple/price` call of a tick that failed: its currency, why (`CoinGeckoError.failure` or `deadline`), and what happened. */
export interface MarketCallFailure {
  vs: string;
  reason: string;
  message: string;
}

/**
 * What became of one tick of `collectMarket` (one `/simple/price` call per currency, due at `start + k·intervalMs`):
 * - `written`: every call answered and the new rows were committed together;
 * - `partial`: some calls failed (`failures`), the rows of the others were committed;
 * - `duplicate`: every call answered, but no series had a newer price than the store (`unchanged` lists them);
 * - `skipped`: no row was written and some calls failed;
 * - `missed`: the whole slot had passed before the tick could start (the process was stalled).
 */
export interface MarketTickReport {
  tick: number;
  due: number;
  outcome: 'written' | 'partial' | 'duplicate' | 'skipped' | 'missed';
  /** The rows committed by this tick. */
  rows: MarketRow[];
  /** Series (`coin/vs`) whose price was not newer than their newest stored row. */
  unchanged: string[];
  failures: MarketCallFailure[];
}

export interface CollectMarketResult {
  ticks: number;
  /** Ticks that committed rows: `written` with every call answered, `partial` with some failed. */
  written: number;
  partial: number;
  duplicates: number;
  skipped: number;
  missed: number;
  rowsWritten: number;
  /** Per series (`coin/vs`), the timestamp of its newest stored row. */
  lastTimestamps: Map<string, number>;
}

const isFunction = (v: unknown) => typeof v === 'function';
const idSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'must be CoinGecko ids such as "bitcoin"' });
const currencySchema = z.string().regex(/^[a-z0-9]+$/, { error: 'must be lower-case currency codes such as "usd"' });
const distinct = (xs: readonly string[]) => new Set(xs).size === xs.length;

const collectMarketSchema = z.strictObject({
  client: z.custom<SimplePriceSource>((v) => !!v && isFunction((v as SimplePriceSource).simplePrice), { error: 'must have simplePrice(), e.g. a CoinGeckoClient' }),
  ids: z.array(idSchema).min(1).refine(distinct, { error: 'must not repeat an id' }),
  vsCurrencies: z.array(currencySchema).min(1).refine(distinct, { error: 'must not repeat a currency' }),
  sink: z.custom<MarketRowSink>((v) => !!v && isFunction((v as MarketRowSink).append) && isFunction((v as MarketRowSink).lastTimestamps), { error: 'must implement MarketRowSink, e.g. storeMarketSink()' }),
  intervalMs: z.number().int().min(1, { error: 'must be an integer >= 1' }),
  count: z.number().int().min(1, { error: 'must be an integer >= 1' }).optional(),
  until: z.union([z.number().int(), z.date()], { error: 'must be epoch milliseconds or a Date' }).transform((v) => (typeof v === 'number' ? v : v.getTime())).optional(),
  startAt: z.number().int().optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional(),
  clock: z.custom<Clock>((v) => !!v && isFunction((v as Clock).now) && isFunction((v as Clock).sleep), { error: 'must be { now(), sleep(ms, signal) }' }).optional(),
  log: z.custom<IngestLogger>(isFunction, { error: 'must be a function' }).optional(),
  onTick: z.custom<(report: MarketTickReport) => void>(isFunction, { error: 'must be a function' }).optional(),
});

/**
 * Options of `collectMarket`: `client`, `ids` (coins), `vsCurrencies` (series = every coin in every currency),
 * `sink` (e.g. `storeMarketSink`), `intervalMs`, and as for `collect`: `count`, `until`, `startAt`, `signal`
 * (stops after the current commit), `clock`, `log`, `onTick`.
 */
export type CollectMarketOptions = z.input<typeof collectMarketSchema>;

type CallOutcome = { ok: true; rows: Record<string, PriceRow> } | { ok: false; error: unknown; timedOut: boolean };

/**
 * Polls `/simple/price` at fixed wall-clock ticks for several coins in several currencies (one call per
 * currency, all coins in it) and commits each tick's new rows together: one `sink.append` per tick. Per
 * series, a row whose `last_updated_at` is not newer than the series' newest stored row is not written, so a
 * restart (and a series with no new price this tick) writes nothing twice. A call that fails (rate limit, bad
 * body, timeout, the tick's slot running out) is logged with its reason and its currency contributes no row;
 * the rows of the other calls are still committed (`partial`). Scheduling is `collect`'s: a slow or failed
 * tick never shifts later ones, and ticks whose slot passed are reported `missed`.
 *
 * @example
 * const stop = new AbortController();
 * process.once('SIGINT', () => stop.abort());
 * const sink = await storeMarketSink('./market', MarketSchema);
 * await collectMarket({ client, ids: ['bitcoin', 'ethereum'], vsCurrencies: ['usd', 'eur'], intervalMs: 60_000, sink, signal: stop.signal });
 * await sink.close();
 */
export async function collectMarket(options: CollectMarketOptions): Promise<CollectMarketResult> {
  const fn = 'collectMarket';
  const o = parseOptions(fn, collectMarketSchema, options);
  const clock = o.clock ?? systemClock;
  const log = o.log ?? stderrLogger;
  const series: MarketSeries[] = o.ids.flatMap((coin) => o.vsCurrencies.map((vs) => ({ coin, vs })));
  const last = await o.sink.lastTimestamps(series);
  const result: CollectMarketResult = { ticks: 0, written: 0, partial: 0, duplicates: 0, skipped: 0, missed: 0, rowsWritten: 0, lastTimestamps: last };
  const report = (r: MarketTickReport) => {
    o.onTick?.(r);
    const counter = ({ written: 'written', partial: 'partial', duplicate: 'duplicates', skipped: 'skipped', missed: 'missed' } as const)[r.outcome];
    result[counter]++;
    result.ticks++;
    result.rowsWritten += r.rows.length;
  };
  const I = o.intervalMs;
  const cpm = o.client.callsPerMinute;
  const calls = o.vsCurrencies.length;
  if (cpm !== undefined && (60_000 / cpm) * calls > I) {
    log({ level: 'warn', message: `${fn}: intervalMs ${I} is shorter than ${calls} call(s) per tick at the client's rate-limit spacing of ${60_000 / cpm} ms (${cpm} calls/min); calls will fail while waiting for it`, reason: 'rate-limit' });
  }
  await runTickSchedule(
    { start: o.startAt ?? clock.now(), intervalMs: I, count: o.count, until: o.until, signal: o.signal, clock, log, caller: fn },
    {
      missed: (tick, due) => report({ tick, due, outcome: 'missed', rows: [], unchanged: [], failures: [] }),
      tick: async ({ tick: k, due, end, now }) => {
        // every call may use the rest of the slot, not more: the next tick must start on time
        const slot = deadlineSignal(end - now, o.signal);
        let answers: CallOutcome[];
        try {
          answers = await Promise.all(
            o.vsCurrencies.map((vsCurrency) =>
              o.client.simplePrice({ ids: o.ids, vsCurrency, signal: slot.signal, deadline: end }).then(
                (rows): CallOutcome => ({ ok: true, rows }),
                (error: unknown): CallOutcome => ({ ok: false, error, timedOut: slot.timedOut }),
              ),
            ),
          );
        } finally {
          slot.dispose();
        }
        // calls cut short by the abort are no failures to log: the run ends here (answers all in are still written)
        if (o.signal?.aborted && answers.some((a) => !a.ok)) return 'stop';
        const rows: MarketRow[] = [];
        const unchanged: string[] = [];
        const failures: MarketCallFailure[] = [];
        answers.forEach((answer, c) => {
          const vs = o.vsCurrencies[c]!;
          if (!answer.ok) {
            if (!(answer.error instanceof TfplError) || answer.error instanceof ConfigError) throw answer.error;
            failures.push({ vs, ...skipReason(answer.error, answer.timedOut) });
            return;
          }
          for (const coin of o.ids) {
            const row = answer.rows[coin];
            if (row === undefined) {
              failures.push({ vs, reason: 'invalid-body', message: `no row for ${JSON.stringify(coin)} in the answer` });
              continue;
            }
            const key = seriesKey({ coin, vs });
            const newest = last.get(key);
            if (newest !== undefined && row.timestamp <= newest) unchanged.push(key);
            else rows.push({ coin, vs, ...row });
          }
        });
        for (const f of failures) log({ level: 'warn', message: `${fn}: tick ${k}: /simple/price in ${f.vs} failed, its series get no row this tick: ${f.message}`, reason: f.reason, tick: k, vs: f.vs });
        if (unchanged.length > 0) log({ level: 'info', message: `${fn}: tick ${k}: no newer price for ${unchanged.join(', ')}`, reason: 'duplicate-timestamp', tick: k });
        if (rows.length > 0) {
          // not given the signal: an abort arriving now still lets this commit finish
          await o.sink.append(rows);
          for (const r of rows) last.set(seriesKey(r), r.timestamp);
          log({ level: 'info', message: `${fn}: tick ${k}: stored ${rows.length} row(s) in one commit (${rows.map((r) => `${seriesKey(r)} ${new Date(r.timestamp).toISOString()}`).join(', ')})`, tick: k });
        }
        const outcome = rows.length > 0 ? (failures.length > 0 ? 'partial' : 'written') : failures.length > 0 ? 'skipped' : 'duplicate';
        report({ tick: k, due, outcome, rows, unchanged, failures });
        return 'continue';
      },
    },
  );
  return result;
}
