import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { defaultWorkerCount } from './decode-pool.js';
import { RANGE_FALLBACKS } from './http-source.js';
import { FILTER_OPS, type FilterPredicate } from './row-filter.js';

/**
 * Options of `makeBatchReader` and `makeReader`. Every option is checked (types and the rules between
 * options) before any I/O.
 */
export interface ReaderOptions {
  /** Columns to read (projection), in this order. Default: every column of the store. */
  columns?: readonly string[];
  /**
   * `[column, op, value]` predicates, all of which must hold; op is one of `=`, `==`, `!=`, `<`, `<=`, `>`,
   * `>=`, `in`, `not in` (value an array for the last two). Row groups whose statistics (or Hive partition
   * values) rule a predicate out are skipped unread; the rest are filtered row by row. Timestamps compare as
   * epoch ms (a `Date` is accepted). Null never matches. Default: none.
   */
  filters?: readonly FilterPredicate[];
  /** This reader's shard, 0-based. Default 0. */
  shardIndex?: number;
  /** Number of shards. Row groups are split so shards differ by at most one row group's rows. Default 1. */
  shardCount?: number;
  /** Read row groups in a new seeded order each epoch. Default false (store order). */
  shuffleRowGroups?: boolean;
  /** Seed of the row-group shuffle (an integer). Default: a random seed, exposed as `reader.seed`. */
  seed?: number;
  /** Passes over the shard; `null` reads forever. Default 1. */
  numEpochs?: number | null;
  /** Decode threads (`worker_threads`); 0 decodes on the calling thread. Default: cores − 1, between 1 and 4. */
  workers?: number;
  /** Row groups being fetched or decoded at once (bounds memory). Default: 2 × max(1, workers). */
  prefetch?: number;
  /** Rows per batch; omitted, each batch is one row group (after filtering). Default: row-group sized. */
  batchSize?: number;
  /** HTTP stores without `_metadata`: data files relative to the store URL. Default: none. */
  files?: readonly string[];
  /** A server that ignores HTTP Range: 'error' (default) or 'download' (whole files, kept in memory). */
  rangeFallback?: (typeof RANGE_FALLBACKS)[number];
  /** `fetch` for HTTP stores (injected in tests, or to add auth). Default: global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Extra HTTP request headers. Default: none. */
  headers?: Record<string, string>;
}

const scalar = z.union([z.number(), z.bigint(), z.string(), z.boolean(), z.date()]);

const schema = z.strictObject({
  columns: z.array(z.string().min(1)).min(1).optional(),
  filters: z
    .array(z.tuple([z.string().min(1), z.enum(FILTER_OPS, { message: `op must be one of ${FILTER_OPS.map((o) => `'${o}'`).join(', ')}` }), z.union([scalar, z.array(scalar)])]))
    .default([]),
  shardIndex: z.number().int().min(0).default(0),
  shardCount: z.number().int().min(1).default(1),
  shuffleRowGroups: z.boolean().default(false),
  seed: z.number().int().optional(),
  numEpochs: z.number().int().min(1).nullable().default(1),
  workers: z.number().int().min(0).max(64).optional(),
  prefetch: z.number().int().min(1).max(1024).optional(),
  batchSize: z.number().int().min(1).optional(),
  files: z.array(z.string().min(1)).optional(),
  rangeFallback: z.enum(RANGE_FALLBACKS).default('error'),
  fetch: z.custom<typeof globalThis.fetch>((v) => typeof v === 'function', 'must be a fetch function').optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

export type ParsedReaderOptions = Omit<z.output<typeof schema>, 'workers' | 'prefetch' | 'seed' | 'filters'> & {
  workers: number;
  prefetch: number;
  seed: number;
  filters: FilterPredicate[];
};

/** Parses and checks reader options; a ConfigError names the option, the value and the valid values. */
export function parseReaderOptions(caller: string, options: ReaderOptions = {}): ParsedReaderOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.') || '(options)';
    throw new ConfigError(`${caller}: option ${path}: ${issue.message}`);
  }
  const o = parsed.data;
  if (o.shardIndex >= o.shardCount) throw new ConfigError(`${caller}: shardIndex must be < shardCount (${o.shardCount}); received ${o.shardIndex}`);
  for (const [col, op, value] of o.filters) {
    const isList = Array.isArray(value);
    if ((op === 'in' || op === 'not in') !== isList) {
      throw new ConfigError(`${caller}: filter on ${JSON.stringify(col)}: op '${op}' needs ${isList ? 'a single value' : 'an array of values'}; received ${isList ? 'an array' : typeof value}`);
    }
  }
  if (o.seed !== undefined && !o.shuffleRowGroups) throw new ConfigError(`${caller}: seed is set but shuffleRowGroups is false; set shuffleRowGroups: true or drop seed`);
  const workers = o.workers ?? defaultWorkerCount();
  return {
    ...o,
    filters: o.filters as FilterPredicate[],
    workers,
    prefetch: o.prefetch ?? 2 * Math.max(1, workers),
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 31),
  };
}
