import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { compactStore, type CompactResult } from '../materialize/compact.js';
import { planCompaction } from '../materialize/compaction-plan.js';
import { materializeDataset } from '../materialize/materialize.js';
import { readStoreState } from '../materialize/read-state.js';
import { isLostCommitRace } from '../materialize/object-write-target.js';
import { writeTargetFor } from '../materialize/write-target-for.js';
import { parseOptions } from '../options.js';
import { makeBatchReader } from '../readers/batch-reader.js';
import type { Unischema } from '../schema/unischema.js';
import { writeIoOptionsShape } from '../store/io-options.js';
import { type IngestLogger, stderrLogger } from './log.js';
import type { PriceRow } from './price-row.js';

/** One series of a market: a coin (CoinGecko id) quoted in one currency. */
export interface MarketSeries {
  coin: string;
  vs: string;
}

/** One observation of one series; `price_usd` is the price in `vs`, as `PriceRow` says. */
export interface MarketRow extends PriceRow, MarketSeries {}

/**
 * The key of a series in `lastTimestamps` maps: `coin/vs` (neither an id nor a currency code holds a `/`).
 *
 * @example
 * seriesKey({ coin: 'bitcoin', vs: 'eur' }); // 'bitcoin/eur'
 */
export function seriesKey(s: MarketSeries): string {
  return `${s.coin}/${s.vs}`;
}

/**
 * Where a market collector's rows go: several series, each tick's rows stored together. `append` returns once
 * the rows are durable, all of them or none (a crash afterwards must not lose them, nor keep some only).
 *
 * @example
 * const sink: MarketRowSink = await storeMarketSink('./market', MarketSchema);
 * const last = await sink.lastTimestamps([{ coin: 'bitcoin', vs: 'usd' }]); // Map { 'bitcoin/usd' => 1711356300000 }
 */
export interface MarketRowSink {
  /** Per series of `series` (by `seriesKey`), the timestamp of its newest stored row; a series with none is absent. */
  lastTimestamps(series: readonly MarketSeries[]): Promise<Map<string, number>>;
  append(rows: MarketRow[]): Promise<void>;
  close?(): Promise<void>;
}

const storeMarketSinkSchema = z.strictObject({
  /** Rows per row group of the parts compactions write (and the size under which a part is small). Default 65,536. */
  rowGroupSize: z.number().int().min(1).default(65_536),
  /** The schema field that receives `price_usd` (the price in `vs`). Default 'price'. */
  priceColumn: z.string().min(1).default('price'),
  /**
   * Compact the store (`compactStore`, in the background) once it holds this many small parts; 0: never.
   * Default 32: a reader then opens at most ~33 small parts beyond the compacted ones, and each compaction
   * rewrites 32 tiny parts plus one part under a row group, a fraction of a second even at a minute per tick.
   */
  compactAfter: z.number().int().min(0).default(32),
  /** How long parts a compaction replaced stay for readers of older commits, in ms. Default 600,000. */
  retentionMs: z.number().int().min(0).default(600_000),
  /** How long to wait for another writer's lock on a local store, in ms. Default 60,000. */
  lockTimeoutMs: z.number().int().min(0).default(60_000),
  /** Receives a line per compaction (and its failures); default: stderr. */
  log: z.custom<IngestLogger>((v) => typeof v === 'function', { error: 'must be a function' }).optional(),
  /** Called with each compaction's result. */
  onCompaction: z.custom<(result: CompactResult) => void>((v) => typeof v === 'function', { error: 'must be a function' }).optional(),
  /** An `s3://` store: how to reach it, and its requests' retries and timeout (see the read options). */
  ...writeIoOptionsShape,
});

/** Options of `storeMarketSink`; see each field's comment for its default. */
export type StoreMarketSinkOptions = z.input<typeof storeMarketSinkSchema>;

/** The fields a market store must have besides the price column. */
const MARKET_FIELDS = ['coin', 'vs', 'timestamp', 'market_cap', 'price_change_24h', 'total_volume'];
/** The order a market store declares: what compactions sort by, so each series' rows end up together. */
const MARKET_ORDER = ['coin', 'vs', 'timestamp'];
/** Appends tried while other writers (a compaction) commit to an object store between a read and the commit. */
const APPEND_ATTEMPTS = 8;

/**
 * A `MarketRowSink` over a store of `schema` (MarketSchema's fields: coin, vs, timestamp, the price column,
 * market_cap, price_change_24h, total_volume), local or `s3://`: each `append` is one atomic commit, its rows
 * sorted by coin, vs, timestamp, the order the store declares. With `compactAfter`, the sink compacts the
 * store in the background once it holds that many small parts (one per tick), without holding up the ticks;
 * `close` waits for a compaction in progress. An append that loses a commit race on an object store (a
 * compaction committed first) is made again: nothing of it was committed.
 *
 * @example
 * const sink = await storeMarketSink('./market', MarketSchema, { compactAfter: 32 });
 * await collectMarket({ client, ids: ['bitcoin', 'ethereum'], vsCurrencies: ['usd', 'eur'], intervalMs: 60_000, sink });
 * await sink.close();
 */
export async function storeMarketSink(storeUrl: string, schema: Unischema, options: StoreMarketSinkOptions = {}): Promise<MarketRowSink> {
  const fn = 'storeMarketSink';
  const o = parseOptions(fn, storeMarketSinkSchema, options);
  for (const name of [...MARKET_FIELDS, o.priceColumn]) {
    if (!schema.has(name)) throw new ConfigError(`${fn}: ${schema.name} has no field "${name}"; a market store needs ${[...MARKET_FIELDS, o.priceColumn].join(', ')}; its fields: ${schema.fieldNames.join(', ')}`);
  }
  const io = { s3: o.s3, fetch: o.fetch, retry: o.retry, fetchTimeoutMs: o.fetchTimeoutMs };
  const target = await writeTargetFor(storeUrl, fn, io);
  const local = !/^s3:\/\//i.test(storeUrl);
  const log = o.log ?? stderrLogger;
  let smallParts: number | null = null;
  let appendsDuring = 0;
  let compaction: Promise<void> | null = null;

  const compact = () => {
    appendsDuring = 0;
    compaction = compactStore(storeUrl, { rowGroupSize: o.rowGroupSize, retentionMs: o.retentionMs, lockTimeoutMs: o.lockTimeoutMs, ...io })
      .then((r) => {
        // Appends that committed during the compaction may be counted twice: it compacts a little early, never late.
        if (r.outcome !== 'conflict') smallParts = r.after.smallParts + appendsDuring;
        const what = r.outcome === 'compacted' ? `${r.before.parts} parts (${r.before.rowGroups} row groups) → ${r.after.parts} (${r.after.rowGroups})` : r.reason;
        log({ level: 'info', message: `${fn}: compaction of ${storeUrl}: ${r.outcome}: ${what}`, reason: r.outcome === 'conflict' ? 'compaction-conflict' : undefined });
        o.onCompaction?.(r);
      })
      .catch((err: unknown) => {
        log({ level: 'warn', message: `${fn}: compaction of ${storeUrl} failed, the store is as it was (tried again after the next append): ${(err as Error).message}`, reason: 'compaction-failed' });
      })
      .finally(() => {
        compaction = null;
      });
  };

  return {
    async lastTimestamps(series) {
      const out = new Map<string, number>();
      if (local && !existsSync(storeUrl)) {
        smallParts = 0;
        return out;
      }
      const store = await readStoreState(await target.location(), fn, { allowEmpty: true });
      smallParts = planCompaction(store.files, store.rowGroups, { rowGroupSize: o.rowGroupSize, maxRowsPerFile: Number.MAX_SAFE_INTEGER }).smallParts;
      const wanted = new Set(series.map(seriesKey));
      // Row groups of one series answer from their statistics; the others (a tick's rows mix every series) are read.
      let mixed = false;
      for (const rg of store.rowGroups) {
        const { coin, vs, timestamp } = rg.stats;
        const max = timestamp?.max;
        if (typeof max !== 'number') continue;
        if (coin && vs && coin.min !== null && coin.min === coin.max && vs.min !== null && vs.min === vs.max) {
          const key = seriesKey({ coin: String(coin.min), vs: String(vs.min) });
          if (wanted.has(key) && max > (out.get(key) ?? -Infinity)) out.set(key, max);
        } else mixed = true;
      }
      if (!mixed) return out;
      // Only rows newer than every wanted series' newest known row can change the answer.
      const known = [...wanted].map((k) => out.get(k) ?? -Infinity);
      const after = Math.min(...known);
      const filters: [string, '>', number][] = Number.isFinite(after) ? [['timestamp', '>', after]] : [];
      for await (const batch of await makeBatchReader(store, { columns: ['coin', 'vs', 'timestamp'], filters, workers: 0 })) {
        const coins = batch.columns.coin as ArrayLike<string>;
        const vss = batch.columns.vs as ArrayLike<string>;
        const ts = batch.columns.timestamp as ArrayLike<number>;
        for (let i = 0; i < batch.numRows; i++) {
          const key = `${coins[i]}/${vss[i]}`;
          if (wanted.has(key) && ts[i]! > (out.get(key) ?? -Infinity)) out.set(key, ts[i]!);
        }
      }
      return out;
    },

    async append(rows) {
      if (rows.length === 0) return;
      // Where nothing guards a commit, the sink's own compaction must not race its appends.
      if (compaction && (await target.commitGuard()) === 'none') await compaction;
      const records = rows.map(({ coin, vs, timestamp, price_usd, market_cap, price_change_24h, total_volume }) => ({ coin, vs, timestamp, [o.priceColumn]: price_usd, market_cap, price_change_24h, total_volume }));
      for (let attempt = 1; ; attempt++) {
        try {
          await materializeDataset(storeUrl, schema, records, { mode: 'append', rowGroupSize: o.rowGroupSize, sortBy: MARKET_ORDER, lockTimeoutMs: o.lockTimeoutMs, ...io });
          break;
        } catch (err) {
          if (isLostCommitRace(err) && attempt < APPEND_ATTEMPTS) continue;
          throw err;
        }
      }
      if (compaction) appendsDuring++;
      if (rows.length < o.rowGroupSize) smallParts = (smallParts ?? 0) + 1;
      if (o.compactAfter > 0 && !compaction && (smallParts ?? 0) >= o.compactAfter) compact();
    },

    async close() {
      await compaction;
    },
  };
}
