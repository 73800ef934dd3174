import { z } from 'zod';
import { DEFAULT_FETCH_TIMEOUT_MS, RANGE_FALLBACKS } from './http-source.js';

/**
 * How a store's bytes are fetched. Declared once; every function that opens a store takes these and
 * forwards them unchanged (`openStore`, `makeBatchReader`, `makeReader`, `makeTfDataset`, the application
 * and the CLI's `--header`, `--files`, `--range-fallback`, `--fetch-timeout`).
 */
export const ioOptionsShape = {
  /** Extra HTTP request headers, e.g. `{ authorization: 'Bearer …' }`. Default: none. */
  headers: z.record(z.string(), z.string(), { error: 'must be an object of header names to string values' }).optional(),
  /** The `fetch` used for HTTP stores (tests, proxies, custom auth). Default: the global `fetch`. */
  fetch: z.custom<typeof globalThis.fetch>((v) => typeof v === 'function', { error: 'must be a fetch function' }).optional(),
  /**
   * An HTTP store without `_metadata` (and without Petastorm's file list): its data files, relative to the
   * store URL. Default: none (the store's summary files name them).
   */
  files: z.array(z.string().min(1), { error: 'must be an array of file paths' }).optional(),
  /**
   * A server that answers a ranged GET with the whole file: `'error'` (a clear `ParquetReadError`) or
   * `'download'` (keep whole files in memory). Default `'error'`.
   */
  rangeFallback: z.enum(RANGE_FALLBACKS).default('error'),
  /**
   * Milliseconds each HTTP request may take, its body included; a request still running then fails with a
   * `ParquetReadError` naming the file and the byte range, so a dead or stalled server never hangs a read.
   * Default 30 000.
   */
  fetchTimeoutMs: z.number({ error: 'must be a number of milliseconds > 0' }).int({ error: 'must be a whole number of milliseconds' }).positive({ error: 'must be a number of milliseconds > 0' }).default(DEFAULT_FETCH_TIMEOUT_MS),
  /**
   * Verify checksums before decoding: the footer CRC and the per-page CRC-32s this SDK writes, the format's
   * page CRCs of other writers, and each part's size against `_metadata`. A mismatch is a
   * `ParquetReadError` naming the file, row group, column and page. `false` skips them (to salvage a
   * damaged file). Default true.
   */
  verifyChecksums: z.boolean().default(true),
};

/**
 * The zod schema of `IoOptions`, to extend in option types of your own that open stores.
 *
 * @example
 * const mySchema = ioOptionsSchema.extend({ store: z.string() });
 */
export const ioOptionsSchema: z.ZodObject<typeof ioOptionsShape, z.core.$strict> = z.strictObject(ioOptionsShape);

/** How a store's bytes are fetched (HTTP headers, `fetch`, file list, Range fallback); see `ioOptionsShape`. */
export type IoOptions = z.input<typeof ioOptionsSchema>;

/** `IoOptions` after parsing (defaults applied). */
export type ParsedIoOptions = z.output<typeof ioOptionsSchema>;
