import { z } from 'zod';
import { CsvRowSink } from './csv-sink.js';
import type { IngestLogger } from './log.js';
import { CHANGE_TOLERANCE_MS } from './market-chart.js';
import { parseOptions } from '../options.js';
import type { PriceRow } from './price-row.js';
import type { RowSink } from './row-sink.js';

const DAY_MS = 86_400_000;

/**
 * Each request starts this long before its chunk so that `price_change_24h` of the chunk's first rows can be
 * derived from points the same response holds: the same values as one request over the whole range would give.
 */
export const BACKFILL_LEAD_IN_MS = DAY_MS + CHANGE_TOLERANCE_MS;

/** The part of `CoinGeckoClient` backfill needs (tests and other sources can stand in). */
export interface MarketChartSource {
  marketChartRange(options: { id: string; vsCurrency: string; from: number; to: number; signal?: AbortSignal }): Promise<PriceRow[]>;
}

/** One step of a backfill, reported after its rows are durable. */
export interface BackfillProgress {
  /** 1-based index of the chunk just stored, out of `chunks`. */
  chunk: number;
  chunks: number;
  /** The chunk's own range (epoch ms, inclusive); the request starts `BACKFILL_LEAD_IN_MS` earlier. */
  from: number;
  to: number;
  rowsInChunk: number;
  rowsWritten: number;
  lastTimestamp: number | null;
}

export interface BackfillResult {
  chunks: number;
  rowsWritten: number;
  /** Newest timestamp in the sink when the run began (it resumed after it), or null for an empty sink. */
  resumedAfter: number | null;
  lastTimestamp: number | null;
}

const isFunction = (v: unknown) => typeof v === 'function';
const timeSchema = z.union([z.number().int(), z.date()], { error: 'must be epoch milliseconds or a Date' }).transform((v) => (typeof v === 'number' ? v : v.getTime()));

const backfillSchema = z
  .strictObject({
    from: timeSchema,
    to: timeSchema,
    client: z.custom<MarketChartSource>((v) => !!v && isFunction((v as MarketChartSource).marketChartRange), { error: 'must have marketChartRange(), e.g. a CoinGeckoClient' }),
    sink: z.custom<RowSink>((v) => !!v && isFunction((v as RowSink).append) && isFunction((v as RowSink).lastTimestamp), { error: 'must implement RowSink' }).optional(),
    csvPath: z.string().min(1, { error: 'must be a file path' }).optional(),
    id: z.string().min(1).default('bitcoin'),
    vsCurrency: z.string().min(1).default('usd'),
    chunkDays: z.number().int().min(2).max(90, { error: 'must be an integer from 2 to 90 (longer requests return daily points)' }).default(90),
    onProgress: z.custom<(p: BackfillProgress) => void>(isFunction, { error: 'must be a function' }).optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional(),
    log: z.custom<IngestLogger>(isFunction, { error: 'must be a function' }).optional(),
  })
  .refine((o) => o.to > o.from, { error: 'must be later than from', path: ['to'] })
  .refine((o) => (o.sink === undefined) !== (o.csvPath === undefined), { error: 'give exactly one of sink, csvPath', path: ['sink'] });

/**
 * Options of `backfill`:
 * - `from`, `to`: the range (epoch ms or Date; both inclusive).
 * - `client`: a `CoinGeckoClient` (or any `MarketChartSource`).
 * - `sink` or `csvPath`: where rows go (exactly one); `csvPath` opens a `CsvRowSink`.
 * - `id`, `vsCurrency`: default `'bitcoin'`, `'usd'`.
 * - `chunkDays`: length of each request window, 2–90 (default 90): up to 90 days CoinGecko answers hourly.
 * - `onProgress`, `signal`, `log`.
 */
export type BackfillOptions = z.input<typeof backfillSchema>;

/**
 * Splits `[start, to]` into consecutive chunks whose request windows (chunk plus lead-in) span at most
 * `chunkDays` days.
 *
 * @example
 * planBackfillChunks(0, 200 * 86_400_000, 90).length; // 3
 */
export function planBackfillChunks(start: number, to: number, chunkDays: number): Array<{ from: number; to: number }> {
  const span = chunkDays * DAY_MS - BACKFILL_LEAD_IN_MS;
  const chunks: Array<{ from: number; to: number }> = [];
  for (let from = start; from <= to; from += span) chunks.push({ from, to: Math.min(to, from + span - 1) });
  return chunks;
}

/**
 * Fetches history chunk by chunk, oldest first, and appends each chunk's new rows (strictly after the newest
 * stored timestamp, so overlaps and repeated points are dropped) before fetching the next. Rerunning after an
 * interruption continues after the last stored timestamp.
 *
 * @example
 * const client = new CoinGeckoClient({ apiKey: process.env.COINGECKO_API_KEY });
 * await backfill({ client, from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 5, 1), csvPath: 'btc-hourly.csv',
 *   onProgress: (p) => console.log(`${p.chunk}/${p.chunks}: ${p.rowsWritten} rows`) });
 */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const o = parseOptions('backfill', backfillSchema, options);
  const sink = o.sink ?? (await CsvRowSink.open(o.csvPath!, o.log));
  try {
    const resumedAfter = await sink.lastTimestamp();
    const start = resumedAfter === null ? o.from : Math.max(o.from, resumedAfter + 1);
    const chunks = start > o.to ? [] : planBackfillChunks(start, o.to, o.chunkDays);
    let last = resumedAfter;
    let rowsWritten = 0;
    for (const [index, chunk] of chunks.entries()) {
      o.signal?.throwIfAborted();
      const rows = await o.client.marketChartRange({ id: o.id, vsCurrency: o.vsCurrency, from: chunk.from - BACKFILL_LEAD_IN_MS, to: chunk.to, signal: o.signal });
      const fresh = rows.filter((r) => r.timestamp >= o.from && r.timestamp <= chunk.to && (last === null || r.timestamp > last));
      await sink.append(fresh);
      if (fresh.length > 0) last = fresh[fresh.length - 1]!.timestamp;
      rowsWritten += fresh.length;
      o.onProgress?.({ chunk: index + 1, chunks: chunks.length, from: chunk.from, to: chunk.to, rowsInChunk: fresh.length, rowsWritten, lastTimestamp: last });
    }
    return { chunks: chunks.length, rowsWritten, resumedAfter, lastTimestamp: last };
  } finally {
    if (o.sink === undefined) await sink.close?.();
  }
}
