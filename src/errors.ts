const BRAND = Symbol.for('tfjs-parquet-loader.error');

/**
 * Every error the SDK throws on purpose is a `TfplError`, so callers can tell "the SDK refused this input"
 * from a bug: `err instanceof TfplError` and a stable `code` to switch on.
 *
 * @example
 * try { await openStore(path); } catch (err) { if (err instanceof TfplError) console.error(err.code, err.message); else throw err; }
 */
export class TfplError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * Whether `err` was thrown on purpose by this SDK. Unlike `instanceof`, it also holds across two copies of
 * the package (or a module loaded twice by a loader), so a CLI or a user's retry logic can rely on it.
 *
 * @example
 * catch (err) { process.exitCode = isTfplError(err) ? 1 : 70; }
 */
export function isTfplError(err: unknown): err is TfplError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Options that break a documented rule; thrown before any I/O. The message names the function, the option,
 * the rule (with the valid values) and the value received.
 *
 * @example
 * // ConfigError: makeTfDataset: windowSize must be an integer >= 1; received 0
 */
export class ConfigError extends TfplError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options);
  }
}

/** Where a bad value was found; every field is optional because not every input has lines or files. */
export interface SchemaErrorLocation {
  field?: string;
  row?: number;
  file?: string;
  line?: number;
  value?: unknown;
}

/**
 * A row or a schema that breaks the store's `Unischema`; `field`, `row`, `file`, `line` and `value` say where.
 *
 * @example
 * catch (err) { if (err instanceof SchemaError) console.error(`${err.file}:${err.line} field ${err.field}`); }
 */
export class SchemaError extends TfplError {
  readonly field: string | undefined;
  readonly row: number | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly value: unknown;
  constructor(message: string, where: SchemaErrorLocation = {}, options?: { cause?: unknown }) {
    super('ERR_SCHEMA', message, options);
    this.field = where.field;
    this.row = where.row;
    this.file = where.file;
    this.line = where.line;
    this.value = where.value;
  }
}

/**
 * A store that cannot be opened or committed (missing, locked, inconsistent); `path` names it.
 *
 * @example
 * // StoreError: openStore: store ./btc does not exist; check the path, or create the store with materializeDataset()
 */
export class StoreError extends TfplError {
  readonly path: string | undefined;
  constructor(message: string, path?: string, options?: { cause?: unknown }) {
    super('ERR_STORE', message, options);
    this.path = path;
  }
}

/**
 * A CSV file that cannot be read (missing, empty, an unknown header, broken quoting); `file` and `line` say where.
 *
 * @example
 * catch (err) { if (err instanceof CsvError) console.error(`${err.file}:${err.line}: ${err.message}`); }
 */
export class CsvError extends TfplError {
  readonly file: string;
  readonly line: number | undefined;
  constructor(message: string, file: string, line?: number, options?: { cause?: unknown }) {
    super('ERR_CSV', message, options);
    this.file = file;
    this.line = line;
  }
}

/** Renders a value for an error message: short, and unambiguous about its type. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid' : value.toISOString()})`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value === 'object' ? `object ${value.constructor?.name ?? 'Object'}` : typeof value;
}
