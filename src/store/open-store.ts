import type { FileMetaData, RowGroup, SchemaElement } from 'hyparquet';
import { SchemaError, StoreError } from '../errors.js';
import { parseOptions } from '../options.js';
import { SCHEMA_METADATA_KEY, Unischema } from '../schema/unischema.js';
import type { ByteRangeSource } from './byte-range-source.js';
import { type IoOptions, ioOptionsSchema, type ParsedIoOptions } from './io-options.js';
import { checkCommittedPart, COMMITTED_PARTS_KEY, type CommittedPart, parseCommittedParts } from './committed-parts.js';
import { chunkCacheFor } from './cache-option.js';
import { commitIdOf } from './commit-id.js';
import { type WatchOptions, type WatchStart, watchCommits } from './commit-watcher.js';
import { mapLimit } from './map-limit.js';
import { DEFAULT_GAP_BYTES, DEFAULT_MAX_REQUEST_BYTES, RangeFetcher } from './range-fetcher.js';
import { FileChangedError, ParquetReadError } from './parquet-read-error.js';
import { topLevelColumns } from './parquet-schema-tree.js';
import { PETASTORM_FILES_KEY, PETASTORM_SCHEMA_KEY, petastormSchema } from './petastorm-schema.js';
import { readSourceFooter, type SourceFooter, type ThriftObject } from './source-footer.js';
import { dtypeOf, type StoreField } from './store-field.js';
import { resolveLocation } from './resolve-location.js';
import type { StoreLocation, StoreRef } from './store-location.js';

/** Min/max/null count of one column in one row group (timestamps and dates in epoch ms); null when unknown. */
export interface ColumnStatistics {
  min: number | bigint | string | boolean | null;
  max: number | bigint | string | boolean | null;
  nullCount: number | null;
}

/** One row group of a store, in store order. */
export interface StoreRowGroup {
  /** Position in store order (files in order, row groups in file order). */
  ordinal: number;
  /** Data file relative to the store root. */
  file: string;
  /** Row group index inside `file`. */
  index: number;
  numRows: number;
  /** Compressed bytes of all its column chunks. */
  byteLength: number;
  /** Per top-level column (and Hive partition key). */
  stats: Record<string, ColumnStatistics>;
  /** Hive partition values from the file's folders (`key=value`). */
  partition: Record<string, string>;
}

/** One data file of a store. */
export interface StoreFile {
  /** Relative to the store root, `/`-separated. */
  path: string;
  numRows: number;
  rowGroups: number;
  byteLength: number;
}

/**
 * What a store holds, whoever wrote it, read from its footers and summary files (no data pages): the one
 * description every stage uses (materialize, both readers, windowing, `tfpl inspect`, the application).
 */
export interface Store {
  /** The path or URL it was opened from. */
  readonly url: string;
  readonly location: StoreLocation;
  /** Who wrote it: this SDK, Python Petastorm, or any other Parquet writer (Spark, pyarrow, DuckDB). */
  readonly writer: 'tfjs-parquet-loader' | 'petastorm' | 'parquet';
  /** The schema's name (Unischema name), or the URL for plain Parquet. */
  readonly name: string;
  /** The `Unischema` this SDK recorded in the store, or null for a store written by another tool. */
  readonly schema: Unischema | null;
  /** Every readable column (tensor fields with their shape and codec; Hive partition keys last). */
  readonly fields: readonly StoreField[];
  readonly files: readonly StoreFile[];
  readonly rowGroups: readonly StoreRowGroup[];
  readonly numRows: number;
  /** Bytes of all data files. */
  readonly byteLength: number;
  /** Compression codecs of the column chunks, e.g. ['ZSTD']. */
  readonly compression: readonly string[];
  /** Where the row groups came from: `_metadata` (one read) or every data file's footer. */
  readonly summary: 'metadata' | 'footers';
  /**
   * Data files present but not listed in `_metadata` (left by a writer that died before its commit, or being
   * written right now). Remote stores are listed for this only when a writer opens them.
   */
  readonly uncommittedFiles: readonly string[];
  /**
   * The commit this description reflects: the same for every opening of one commit, wherever it is read from
   * (a folder, HTTP, S3, a copy), and different after any commit that changes `_metadata` (each adds,
   * replaces or removes a part; a commit that changes nothing, an append of no rows, is the same snapshot).
   * It is the CRC-32 of `_metadata`'s footer and the file's size (`'9b2c41f0-5123'`): compare it, keep it
   * (a follower's resumable state), never parse it. Null for a store without `_metadata` (read from footers).
   */
  readonly commitId: string | null;
  /**
   * Each newer commit of this store, opened whole, in commit order: `watchStore(store, options)`.
   *
   * @example
   * for await (const snapshot of store.watch({ signal })) console.log(snapshot.numRows);
   */
  watch(options?: WatchOptions): AsyncIterableIterator<Store>;
}

/** What the readers and the writer need beyond the description; not part of the public surface. */
export interface StoreInternals {
  /** Per data file: its parsed footer holding only its own row groups. */
  footers: Map<string, FileMetaData>;
  /** Top-level Parquet columns of the template footer. */
  columns: Map<string, SchemaElement | null>;
  /** Raw Thrift of the template footer (schema, key-value metadata), for summary files; null for an empty store. Parsed on first use (writers). */
  readonly rawTemplate: ThriftObject | null;
  /** Raw Thrift of every row group in store order, each column chunk naming its file. Parsed on first use (writers). */
  readonly rawRowGroups: ThriftObject[];
  /** Petastorm `CompressedImageCodec` fields: 'png' or 'jpeg'. */
  imageFormats: Map<string, string>;
  /** The data files, opened once at open time. */
  sources: Map<string, ByteRangeSource>;
  hasMetadataFile: boolean;
  /** What `_metadata` recorded of each part at its commit (size, rows); null when it has no such record. */
  committedParts: Map<string, CommittedPart> | null;
  /** Whether it was opened with `verifyChecksums` (the default for readers of it that do not say). */
  verifyChecksums: boolean;
  /** How the readers fetch byte ranges: the cache, coalescing, the store's request slots. */
  fetcher: RangeFetcher;
  /** Bytes of column chunks the readers may fetch ahead of decoding (`readAhead.bytes`). */
  readAheadBytes: number;
  /** Parts whose own footer was checked against `_metadata`: once per store, not once per reader or epoch. */
  checkedParts: Map<string, Promise<void>>;
  /** The version (ETag) of the `_metadata` read, which a writer's conditional commit expects to replace; null without one. */
  metadataVersion: string | null;
  /** How it was opened (checksums, cache, read-ahead, listing), for the snapshots `watch` opens. */
  readOptions: ReadStoreOptions;
}

const INTERNALS = new WeakMap<Store, StoreInternals>();

/** Whether `x` is a `Store` returned by `openStore`. */
export function isStore(x: unknown): x is Store {
  return typeof x === 'object' && x !== null && INTERNALS.has(x as Store);
}

export function storeInternals(store: Store): StoreInternals {
  const i = INTERNALS.get(store);
  if (!i) throw new StoreError('this store description was not made by openStore; open stores with openStore()', store.url);
  return i;
}

const CONCURRENCY = 8;

function partitionOf(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const seg of path.split('/').slice(0, -1)) {
    const eq = seg.indexOf('=');
    if (eq > 0) out[decodeURIComponent(seg.slice(0, eq))] = decodeURIComponent(seg.slice(eq + 1));
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function statValue(v: unknown, text: boolean): ColumnStatistics['min'] {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isNaN(v)) return null; // NaN statistics are meaningless (pyarrow 0.8 wrote them)
  if (v instanceof Date) return v.getTime();
  if (v instanceof Uint8Array) {
    if (!text) return null; // binary blobs (Petastorm .npy) cannot be compared
    try {
      return utf8.decode(v);
    } catch {
      return null;
    }
  }
  return v as number | bigint | string | boolean;
}

function rowGroupStats(rg: RowGroup, textColumns: ReadonlySet<string>): { stats: Record<string, ColumnStatistics>; byteLength: number } {
  const stats: Record<string, ColumnStatistics> = {};
  let byteLength = 0;
  for (const c of rg.columns) {
    const md = c.meta_data;
    if (!md) continue;
    byteLength += Number(md.total_compressed_size);
    if (md.path_in_schema.length !== 1) continue;
    const name = md.path_in_schema[0]!;
    const s = md.statistics;
    let min = statValue(s?.min_value ?? s?.min, textColumns.has(name));
    let max = statValue(s?.max_value ?? s?.max, textColumns.has(name));
    if (min === null || max === null) min = max = null;
    stats[name] = { min, max, nullCount: s?.null_count === undefined ? null : Number(s.null_count) };
  }
  return { stats, byteLength };
}

async function footerOf(location: StoreLocation, fetcher: RangeFetcher, path: string, verifyChecksums: boolean, opened?: ByteRangeSource): Promise<{ footer: SourceFooter; source: ByteRangeSource } | null> {
  const source = opened ?? (await location.open(path));
  return source ? { footer: await readSourceFooter(fetcher.source(source), { verifyChecksums }), source } : null;
}

/** Options of `readStore` for callers inside the SDK. */
export interface ReadStoreOptions {
  /** Return an empty description for a folder with no data yet (the writer's first commit). Default false. */
  allowEmpty?: boolean;
  /** Verify footer checksums (and a part's size against `_metadata`). Default true. */
  verifyChecksums?: boolean;
  /** The `cache` read option (remote stores only). */
  cache?: { bytes: number; dir?: string };
  /** The `readAhead` read option. */
  readAhead?: { bytes?: number; requests?: number };
  /**
   * List the files of a store that has `_metadata`, to report `uncommittedFiles`. Default: for local
   * folders (a directory read), not for object stores (a listing per open; a writer asks for it).
   */
  listUncommitted?: boolean;
  /** The store's `_metadata` as already fetched (by a watcher's look), read instead of opening it again. */
  metadata?: ByteRangeSource;
}

/** Read-ahead of a remote store by default: enough requests in flight to hide an object store's latency. */
const REMOTE_READ_AHEAD = { bytes: 64 * 2 ** 20, requests: 16 };
/**
 * ...and of local files: none past the row groups being decoded (`prefetch`). A local read costs little and
 * the OS reads ahead of it; bytes read further ahead only held memory and, at open, took the cores the first
 * batch needs (measured on 10M rows: first batch 0.3 s → 0.06 s, peak RSS −90 MiB, the epoch no slower).
 */
const LOCAL_READ_AHEAD = { bytes: 0, requests: 4 };

/** The range fetcher of a store at `location`: remote stores get the cache and more requests in flight. */
function fetcherFor(location: StoreLocation, options: ReadStoreOptions, caller: string): { fetcher: RangeFetcher; readAheadBytes: number } {
  const remote = location.stats !== undefined;
  const defaults = remote ? REMOTE_READ_AHEAD : LOCAL_READ_AHEAD;
  const fetcher = new RangeFetcher({
    cache: remote && options.cache ? chunkCacheFor(options.cache, caller) : null,
    maxRequests: options.readAhead?.requests ?? defaults.requests,
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    gapBytes: DEFAULT_GAP_BYTES,
    stats: location.stats,
  });
  return { fetcher, readAheadBytes: options.readAhead?.bytes ?? defaults.bytes };
}

/**
 * Reads a store's description from a location: the file list (from `_metadata`, a listing, Petastorm's file
 * list, or `files`), every row group with its statistics, Hive partition values, and the schema (this SDK's
 * JSON, Petastorm's pickled Unischema, or inferred from the Parquet types).
 */
export async function readStore(location: StoreLocation, caller: string, options: ReadStoreOptions = {}): Promise<Store> {
  const url = location.url;
  const verify = options.verifyChecksums !== false;
  const { fetcher, readAheadBytes } = fetcherFor(location, options, caller);
  // A single file stands alone: the summary files of the folder around it describe other files too.
  const summary = location.singleFile
    ? null
    : await footerOf(location, fetcher, '_metadata', verify, options.metadata).catch((err) => {
        if (err instanceof ParquetReadError) throw err;
        throw new StoreError(`${caller}: ${url}/_metadata cannot be read (${(err as Error).message})`, url, { cause: err });
      });
  // Listed after _metadata was read: a part committed in between is then listed and counted as committed.
  const listUncommitted = options.listUncommitted ?? location.stats === undefined;
  const listed = summary && !listUncommitted ? null : await location.list();
  // _common_metadata matters only when _metadata lacks the schema (Petastorm and pyarrow stores).
  const needCommon = !location.singleFile && !summary?.footer.textKeyValues.has(SCHEMA_METADATA_KEY);
  const common = needCommon ? (await footerOf(location, fetcher, '_common_metadata', verify))?.footer ?? null : null;

  const footers = new Map<string, FileMetaData>();
  const sources = new Map<string, ByteRangeSource>();
  // Each file's raw row groups are taken from the raw footer tree only when a writer asks (see SourceFooter).
  const fileRowGroups: { file: string; rgs: RowGroup[]; raw: () => ThriftObject[] }[] = [];
  let template: SourceFooter | null = null;
  let committedParts: Map<string, CommittedPart> | null = null;
  let firstFooter: SourceFooter | null = null;
  if (summary) {
    // _metadata is the commit point: what it lists is the store, even nothing (a first commit in progress).
    template = summary.footer;
    const summaryFooter = summary.footer;
    const rawRgs = () => (summaryFooter.raw.field_4 as ThriftObject[] | undefined) ?? [];
    const byFile = new Map<string, { rgs: RowGroup[]; at: number[] }>();
    summary.footer.metadata.row_groups.forEach((rg, k) => {
      const f = rg.columns[0]?.file_path;
      if (!f) throw new StoreError(`${caller}: ${url}/_metadata has a row group without file_path; regenerate it (tfpl metadata ${url})`, url);
      let entry = byFile.get(f);
      if (!entry) byFile.set(f, (entry = { rgs: [], at: [] }));
      entry.rgs.push(rg);
      entry.at.push(k);
    });
    for (const [file, { rgs, at }] of byFile) {
      fileRowGroups.push({ file, rgs, raw: () => at.map((k) => rawRgs()[k]!) });
      footers.set(file, { ...summary.footer.metadata, row_groups: rgs });
    }
    const opened = await mapLimit([...byFile.keys()], CONCURRENCY, async (file) => {
      const src = await location.open(file);
      // Gone since _metadata was read: an overwrite committed meanwhile (opening again reads its state), or
      // a store changed outside this SDK (which opening again reports as such).
      if (!src) throw new FileChangedError(`listed in _metadata but does not exist: a commit replaced it since _metadata was read, or the store was changed outside this SDK (regenerate _metadata, or restore the file)`, { file: `${url}/${file}` });
      return [file, src] as const;
    });
    for (const [file, src] of opened) sources.set(file, src);
    committedParts = parseCommittedParts(summary.footer.textKeyValues.get(COMMITTED_PARTS_KEY), `${url}/_metadata`);
    if (verify && committedParts) {
      for (const [file, src] of sources) {
        const recorded = committedParts.get(file);
        if (!recorded) throw new ParquetReadError(`part is listed in _metadata's row groups but not in its record of committed parts (${COMMITTED_PARTS_KEY}); regenerate the store's _metadata`, { file: src.name });
        checkCommittedPart(src.name, recorded, { byteLength: src.byteLength });
      }
    }
  } else {
    let files = listed;
    if (!files && common) {
      const json = common.textKeyValues.get(PETASTORM_FILES_KEY);
      if (json) files = Object.keys(JSON.parse(json) as Record<string, number>).sort();
    }
    if (!files) {
      throw new StoreError(`${caller}: ${url} cannot be listed and has no _metadata (nor Petastorm's file list in _common_metadata); pass the data files as the files option, or write summary files with \`tfpl metadata\``, url);
    }
    if (files.length === 0 && !options.allowEmpty) {
      throw new StoreError(`${caller}: ${url} holds no Parquet data (no _metadata and no *.parquet files)`, url);
    }
    const read = await mapLimit(files, CONCURRENCY, async (file) => {
      const f = await footerOf(location, fetcher, file, verify);
      if (!f) throw new StoreError(`${caller}: data file ${file} of ${url} does not exist`, url);
      return { file, ...f };
    });
    for (const { file, footer, source } of read) {
      firstFooter ??= footer;
      fileRowGroups.push({ file, rgs: footer.metadata.row_groups, raw: () => ((footer.raw.field_4 as ThriftObject[] | undefined) ?? []).map((rg) => withFilePath(rg, file)) });
      footers.set(file, footer.metadata);
      sources.set(file, source);
    }
    template = firstFooter;
  }

  // Schema: this SDK's JSON, else Petastorm's pickle, else the Parquet types.
  const kv = (key: string) => summary?.footer.textKeyValues.get(key) ?? common?.textKeyValues.get(key) ?? firstFooter?.textKeyValues.get(key);
  const columns = template ? topLevelColumns(template.metadata.schema) : new Map<string, SchemaElement | null>();
  let writer: Store['writer'] = 'parquet';
  let name = url;
  let schema: Unischema | null = null;
  let declared: StoreField[] | null = null;
  const imageFormats = new Map<string, string>();
  const tfpl = kv(SCHEMA_METADATA_KEY);
  const peta = common?.rawKeyValues.get(PETASTORM_SCHEMA_KEY);
  if (tfpl) {
    try {
      schema = Unischema.fromJSON(JSON.parse(tfpl));
    } catch (err) {
      throw new SchemaError(`${caller}: ${url}: key ${SCHEMA_METADATA_KEY} does not hold a valid schema: ${(err as Error).message}`, { file: url }, { cause: err });
    }
    writer = 'tfjs-parquet-loader';
    name = schema.name;
    declared = schema.fields.map((f) => ({ name: f.name, dtype: f.dtype, shape: f.shape, codec: f.codec, nullable: f.nullable, partition: false }));
  } else if (peta) {
    const ps = petastormSchema(peta, `${url}/_common_metadata`);
    writer = 'petastorm';
    name = ps.name;
    declared = ps.fields;
    for (const [k, v] of ps.imageFormat) imageFormats.set(k, v);
  }

  const partitionKeys = new Set<string>();
  const declaredByName = new Map((declared ?? []).map((f) => [f.name, f]));
  const fields: StoreField[] = [];
  const order = declared ? declared.map((f) => f.name) : [...columns.keys()];
  for (const n of columns.keys()) if (!order.includes(n)) order.push(n);
  for (const { file } of fileRowGroups) for (const k of Object.keys(partitionOf(file))) partitionKeys.add(k);
  for (const k of partitionKeys) if (!order.includes(k)) order.push(k);
  for (const n of order) {
    const d = declaredByName.get(n);
    if (columns.has(n)) {
      const e = columns.get(n)!;
      fields.push(d ?? { name: n, dtype: dtypeOf(e), shape: [], codec: 'scalar', nullable: e?.repetition_type !== 'REQUIRED', partition: false });
    } else if (partitionKeys.has(n)) {
      fields.push({ ...(d ?? { name: n, dtype: 'string', shape: [], codec: 'scalar', nullable: false }), partition: true });
    }
    // A declared field with no column and no partition folder is not readable; leave it out.
  }
  const textColumns = new Set(fields.filter((f) => f.dtype === 'string').map((f) => f.name));

  let ordinal = 0;
  const rowGroups: StoreRowGroup[] = [];
  const files: StoreFile[] = [];
  const codecs = new Set<string>();
  for (const { file, rgs } of fileRowGroups) {
    const partition = partitionOf(file);
    let fileRows = 0;
    rgs.forEach((rg, index) => {
      const { stats, byteLength } = rowGroupStats(rg, textColumns);
      for (const [k, v] of Object.entries(partition)) stats[k] = { min: v, max: v, nullCount: 0 };
      const numRows = Number(rg.num_rows);
      fileRows += numRows;
      rowGroups.push({ ordinal: ordinal++, file, index, numRows, byteLength, stats, partition });
      for (const c of rg.columns) codecs.add(c.meta_data?.codec ?? 'UNKNOWN');
    });
    files.push({ path: file, numRows: fileRows, rowGroups: rgs.length, byteLength: sources.get(file)!.byteLength });
  }
  const committed = new Set(files.map((f) => f.path));
  const store: Store = {
    url,
    location,
    writer,
    name,
    schema,
    fields,
    files,
    rowGroups,
    numRows: rowGroups.reduce((s, rg) => s + rg.numRows, 0),
    byteLength: files.reduce((s, f) => s + f.byteLength, 0),
    compression: [...codecs],
    summary: summary ? 'metadata' : 'footers',
    uncommittedFiles: summary && listed ? listed.filter((f) => !committed.has(f)) : [],
    commitId: summary ? commitIdOf(summary.footer.tail, summary.footer.byteLength) : null,
    watch: (watchOptions = {}) => watchCommits(watchStart(store), watchOptions, 'watchStore'),
  };
  let rawRowGroups: ThriftObject[] | undefined;
  INTERNALS.set(store, {
    footers,
    columns,
    get rawTemplate() {
      return template?.raw ?? null;
    },
    get rawRowGroups() {
      return (rawRowGroups ??= fileRowGroups.flatMap((f) => f.raw()));
    },
    imageFormats,
    sources,
    hasMetadataFile: summary !== null,
    committedParts,
    verifyChecksums: verify,
    fetcher,
    readAheadBytes,
    checkedParts: new Map(),
    metadataVersion: summary?.source.version ?? null,
    readOptions: withoutMetadata(options),
  });
  return store;
}

function withoutMetadata({ metadata: _, ...options }: ReadStoreOptions): ReadStoreOptions {
  return options;
}

/** Where a watch of `store` starts: its commit, and how its snapshots are opened (as it was). */
function watchStart(store: Store): WatchStart<Store> {
  const { metadataVersion, readOptions } = storeInternals(store);
  return {
    url: store.url,
    location: store.location,
    commitId: store.commitId,
    version: metadataVersion,
    open: (metadata) => readStore(store.location, 'watchStore', { ...readOptions, metadata }),
  };
}

/** A raw row group whose column chunks name `file` (as row groups in `_metadata` do). */
export function withFilePath(rowGroup: ThriftObject, file: string): ThriftObject {
  // Thrift writes fields in id order, and file_path is field 1: it goes first.
  const chunks = (rowGroup.field_1 as ThriftObject[]).map(({ field_1: _path, ...c }) => ({ field_1: file, ...c }));
  return { ...rowGroup, field_1: chunks };
}

/**
 * Opens any store and describes it: a local folder or file, an `http(s)://` URL or any `StoreLocation`;
 * written by this SDK, by Python Petastorm, or plain Parquet (Spark, pyarrow, DuckDB, with Hive `key=value`
 * folders). Reads only footers and summary files: `_metadata` when present (one read), else every data
 * file's footer. Every reader, `makeTfDataset` and the writer take the result (or open it themselves).
 *
 * @example
 * const store = await openStore('https://data.example.com/btc-store', { headers: { authorization: `Bearer ${token}` } });
 * console.log(store.writer, store.numRows, store.fields.map((f) => `${f.name}: ${f.dtype}`));
 */
export async function openStore(store: StoreRef | Store, options: IoOptions = {}): Promise<Store> {
  return openStoreFor('openStore', store, parseOptions('openStore', ioOptionsSchema, options));
}

/** `openStore` for a named caller (its name leads every error message), with parsed options; an opened `Store` passes through. */
export async function openStoreFor(caller: string, store: StoreRef | Store, io: ParsedIoOptions): Promise<Store> {
  if (isStore(store)) return store;
  const location = await resolveLocation(store, io, caller);
  // A commit landing while the store is opened (its _metadata replaced, or an overwrite's parts deleted
  // between reading _metadata and opening them) is met by opening again: a reader sees one commit whole.
  for (let attempt = 1; ; attempt++) {
    try {
      return await readStore(location, caller, { verifyChecksums: io.verifyChecksums, cache: io.cache, readAhead: io.readAhead });
    } catch (err) {
      if (!(err instanceof FileChangedError) || attempt >= OPEN_ATTEMPTS) throw err;
    }
  }
}

/** Opens tried while commits keep landing, before the change is reported. */
const OPEN_ATTEMPTS = 5;
