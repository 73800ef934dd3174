import { isTfplError, TfplError } from '../errors.js';

/** Where a Parquet read failed: the file (path or URL) and, when known, the row group, column and page inside it. */
export interface ParquetReadLocation {
  file: string;
  rowGroup?: number;
  column?: string;
  /** Page index inside the column chunk (0 is the dictionary page when there is one). */
  page?: number;
}

/**
 * A Parquet file that cannot be read: corrupt, truncated, encrypted, or a server that breaks the read.
 * Thrown (never a crash or a hang) by every loader entry point; `file`, `rowGroup`, `column` and `page`
 * say where (as far as known).
 *
 * @example
 * try { for await (const b of reader) use(b); } catch (e) { if (e instanceof ParquetReadError) console.error(e.file, e.rowGroup); }
 */
export class ParquetReadError extends TfplError {
  readonly file: string;
  readonly rowGroup: number | undefined;
  readonly column: string | undefined;
  readonly page: number | undefined;
  /** The message without the location prefix. */
  readonly reason: string;
  constructor(reason: string, where: ParquetReadLocation, options?: { cause?: unknown }) {
    const at = [where.file, where.rowGroup === undefined ? '' : ` row group ${where.rowGroup}`, where.column === undefined ? '' : ` column ${JSON.stringify(where.column)}`, where.page === undefined ? '' : ` page ${where.page}`].join('');
    super('ERR_PARQUET_READ', `${at}: ${reason}`, options);
    this.file = where.file;
    this.rowGroup = where.rowGroup;
    this.column = where.column;
    this.page = where.page;
    this.reason = reason;
  }
}

/**
 * A file that changed (or went away) after the store was opened: replaced by another commit, rewritten,
 * deleted. Nothing of its new bytes was used; reopening the store reads its new state.
 *
 * @example
 * catch (err) { if (err instanceof FileChangedError) store = await openStore(url); }
 */
export class FileChangedError extends ParquetReadError {}

/**
 * Wraps any failure while reading `where` as a ParquetReadError. The SDK's own errors are kept as they are:
 * a ParquetReadError, and an object store's refusal (access denied, no such key), which says more than
 * "corrupt" would.
 */
export function asParquetReadError(err: unknown, where: ParquetReadLocation, doing: string): TfplError {
  if (isTfplError(err)) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new ParquetReadError(`${doing} failed: ${why}; the file is corrupt, truncated or not a Parquet file this reader supports`, where, { cause: err });
}
