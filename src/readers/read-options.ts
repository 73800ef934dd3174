import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseOptions } from '../options.js';
import { decodePlatform } from './decode-platform.js';
import { ioOptionsShape } from '../store/io-options.js';
import { FILTER_OPS, type FilterPredicate } from './row-filter.js';
import { DEFAULT_MAX_BATCH_BYTES } from './read-unit.js';

const scalar = z.union([z.number(), z.bigint(), z.string(), z.boolean(), z.date()]);

/**
 * What to read of a store and how: shared by `makeBatchReader`, `makeReader` and `makeTfDataset`, which
 * forward it unchanged (with the I/O options of `ioOptionsShape`).
 */
export const readOptionsShape = {
  ...ioOptionsShape,
  /**
   * `[column, op, value]` predicates, all of which must hold; op is one of `=`, `==`, `!=`, `<`, `<=`, `>`,
   * `>=`, `in`, `not in` (value an array for the last two). Row groups whose statistics (or Hive partition
   * values) rule a predicate out are skipped unread; the rest are filtered row by row. Timestamps compare as
   * epoch ms (a `Date` is accepted). Null never matches. Default: none.
   */
  filters: z
    .array(z.tuple([z.string().min(1), z.enum(FILTER_OPS), z.union([scalar, z.array(scalar)])]), { error: 'must be an array of [column, op, value] predicates' })
    .default([]),
  /** This process's shard, 0-based. Default 0. */
  shardIndex: z.number().int().min(0).default(0),
  /**
   * Number of shards (training processes). A batch reader splits row groups, so shards differ by at most one
   * row group's rows; `makeTfDataset` splits windows, so shards differ by at most one window. Default 1.
   */
  shardCount: z.number().int().min(1).default(1),
  /**
   * Decode threads; 0 decodes on the calling thread. Default: 0 for reads of fewer than 200,000 rows (a
   * thread's start-up costs more than it saves), else cores − 1, between 1 and 4.
   */
  workers: z.number().int().min(0).max(64).optional(),
  /** Units (row groups, or slices of large ones) being decoded at once (bounds memory). Default: 2 × max(1, workers). */
  prefetch: z.number().int().min(1).max(1024).optional(),
  /**
   * Bytes one column's decoded values of one unit may take, and one page may declare: a row group of more than
   * `maxBatchBytes / 8` rows is read and decoded in slices of 262,144 rows (fewer where the bound asks;
   * only the pages a slice needs are fetched), so any row group reads in bounded memory, over a network too.
   * A page too large to decode whole is streamed where its codec and encoding allow; one that is not, or a
   * dictionary, declaring more than this is refused with a `ParquetReadError` naming it. Default 16 MiB (row
   * groups of up to 2,097,152 rows read whole); the SDK's own row groups (65,536 rows) are never cut.
   */
  maxBatchBytes: z.number({ error: 'must be a whole number of bytes >= 1024' }).int({ error: 'must be a whole number of bytes >= 1024' }).min(1024, { error: 'must be a whole number of bytes >= 1024' }).default(DEFAULT_MAX_BATCH_BYTES),
};

/** Options of `makeBatchReader` and `makeReader`: `readOptionsShape` plus projection, order, epochs and batch size. */
export const batchReaderOptionsShape = {
  ...readOptionsShape,
  /** Columns to read (projection), in this order. Default: every column of the store. */
  columns: z.array(z.string().min(1)).min(1).optional(),
  /** Read row groups in a new seeded order each epoch. Default false (store order). */
  shuffleRowGroups: z.boolean().default(false),
  /** Seed of the row-group shuffle (an integer). Default: a random seed, exposed as `reader.seed`. */
  seed: z.number().int().optional(),
  /** Passes over the shard; `null` reads forever. Default 1. */
  numEpochs: z.number().int().min(1).nullable().default(1),
  /** Rows per batch; omitted, each batch is one row group (after filtering). Default: row-group sized. */
  batchSize: z.number().int().min(1).optional(),
};

/**
 * The zod schema of `ReadOptions` (I/O, filters, shards, decode threads), to extend in option types of your
 * own that read stores, as the forecasting application does.
 *
 * @example
 * const trainOptions = readOptionsSchema.extend({ epochs: z.number().int().min(1) });
 */
export const readOptionsSchema: z.ZodObject<typeof readOptionsShape, z.core.$strict> = z.strictObject(readOptionsShape);
export const batchReaderOptionsSchema: z.ZodObject<typeof batchReaderOptionsShape, z.core.$strict> = z.strictObject(batchReaderOptionsShape);

/** What to read of a store and how (I/O, filters, shards, decode threads); see `readOptionsShape`. */
export type ReadOptions = z.input<typeof readOptionsSchema>;
/** Options of `makeBatchReader` and `makeReader`; see `batchReaderOptionsShape`. */
export type ReaderOptions = z.input<typeof batchReaderOptionsSchema>;

export type ParsedReaderOptions = Omit<z.output<typeof batchReaderOptionsSchema>, 'filters' | 'seed'> & { filters: FilterPredicate[]; seed: number };

/** Rules between read options, checked after the types. */
export function checkReadRules(caller: string, o: z.output<typeof readOptionsSchema>): void {
  if (o.shardIndex >= o.shardCount) throw new ConfigError(`${caller}: shardIndex must be < shardCount (${o.shardCount}); received ${o.shardIndex}`);
  for (const [col, op, value] of o.filters) {
    const isList = Array.isArray(value);
    if ((op === 'in' || op === 'not in') !== isList) {
      throw new ConfigError(`${caller}: filter on ${JSON.stringify(col)}: op '${op}' needs ${isList ? 'a single value' : 'an array of values'}; received ${isList ? 'an array' : typeof value}`);
    }
  }
}

/** Parses and checks batch-reader options before any I/O. */
export function parseReaderOptions(caller: string, options: ReaderOptions = {}): ParsedReaderOptions {
  const o = parseOptions(caller, batchReaderOptionsSchema, options);
  checkReadRules(caller, o);
  if (o.seed !== undefined && !o.shuffleRowGroups) throw new ConfigError(`${caller}: seed is set but shuffleRowGroups is false; set shuffleRowGroups: true or drop seed`);
  return { ...o, filters: o.filters as FilterPredicate[], seed: o.seed ?? Math.floor(Math.random() * 2 ** 31) };
}

/** Reads smaller than this decode on the calling thread by default. */
export const SMALL_READ_ROWS = 200_000;

/**
 * Reads of fewer compressed bytes than this decode on the calling thread by default: starting a decode thread
 * costs more than decoding them (a pass over a store's series ids and timestamps, say).
 */
export const SMALL_READ_BYTES = 8 * 2 ** 20;

/**
 * Decode threads and prefetch depth for a read of `rows` rows (and, when known, `bytes` compressed bytes of
 * the columns it decodes).
 */
export function threadsFor(o: { workers?: number; prefetch?: number }, rows: number, bytes = Infinity): { workers: number; prefetch: number } {
  const workers = o.workers ?? (rows < SMALL_READ_ROWS || bytes < SMALL_READ_BYTES ? 0 : decodePlatform().defaultWorkerCount());
  return { workers, prefetch: o.prefetch ?? 2 * Math.max(1, workers) };
}
