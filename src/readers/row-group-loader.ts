import type { Compressors, FileMetaData, SchemaElement } from 'hyparquet';
import type { Column, ColumnBatch } from '../schema/columns.js';
import { decodePlatform } from './decode-platform.js';
import { type Store, type StoreInternals, type StoreRowGroup, storeInternals } from '../store/open-store.js';
import { asParquetReadError } from '../store/parquet-read-error.js';
import { checkCommittedPart } from '../store/committed-parts.js';
import { chunkRange } from '../store/page-checksums.js';
import { ParquetReadError } from '../store/parquet-read-error.js';
import type { ByteRange, RangeFetcher } from '../store/range-fetcher.js';
import { type ColumnRead, ColumnCursorHost } from './column-cursor-host.js';
import { loadCompressors } from './compressors.js';
import { DEFAULT_MAX_BATCH_BYTES, isWhole, type ReadUnit } from './read-unit.js';
import { readSourceFooter } from '../store/source-footer.js';
import { spareBuffers } from './spare-buffers.js';
import { viewsWholeBuffer } from './transfer-list.js';
import type { DecodePool } from './decode-pool.js';
import { type ColumnSpec, columnSpecOf } from './column-spec.js';
import { type DecodedRowGroup, type DecodeTask, decodeRowGroup } from './decode-row-group.js';

/** What a reader has done so far. */
export interface ReaderStats {
  /** Row groups fetched and decoded. */
  rowGroupsRead: number;
  /** Row groups skipped by statistics or partition values (per pass over the plan). */
  rowGroupsPruned: number;
  /** Rows decoded (before row filters). */
  rowsDecoded: number;
  /** Bytes of column chunks read (footers not included). */
  bytesRead: number;
}

function ownBuffer(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : (b.slice().buffer as ArrayBuffer);
}

/** A top-level column whose rows are its values (not a list, map or struct): its pages say their rows. */
function isFlat(element: SchemaElement | null): boolean {
  return element !== null && !element.num_children && element.repetition_type !== 'REPEATED';
}

/** A unit whose bytes are fetched and not yet decoded. */
export interface FetchedUnit {
  unit: ReadUnit;
  /** Null when no Parquet column is read (only partition keys). */
  task: DecodeTask | null;
  /** The loader's generation when the fetch started: a reader closed since then does not decode it. */
  generation: number;
  /** Read column by column on the calling thread when it is decoded (see `RowGroupLoader`). */
  byCursor?: boolean;
}

/**
 * Fetches and decodes single units of one store (row groups, or slices of large ones): reads exactly the
 * byte ranges of the projected column chunks (of a slice: its pages), then decodes them on a decode thread
 * (or inline with `workers: 0`).
 */
export class RowGroupLoader {
  readonly #store: Store;
  readonly #internals: StoreInternals;
  readonly #parquetColumns: string[];
  readonly #partitionColumns: string[];
  readonly #specs: ColumnSpec[];
  readonly #workers: number;
  #pool: DecodePool | null = null;
  /** Bumped by `close`: a load started before it must not start workers again after it. */
  #generation = 0;
  readonly #decodeFooters = new Map<string, FileMetaData>();
  /** Cursors on this thread (`workers: 0`); with decode threads, the threads hold them. */
  #inlineCursors: ColumnCursorHost | null = null;
  /** Row groups read by cursor lately (file + index), and the cursor keys of each, oldest first. */
  readonly #cursorGroups = new Map<string, Set<string>>();
  /** Nested columns of the row group read by cursor, decoded whole. */
  readonly #nested = new Map<string, Promise<Column>>();
  readonly stats: ReaderStats;
  /** Column buffers of whole units this loader decoded and handed out, which `recycle` may take back. */
  readonly #handedOut = new WeakSet<ArrayBuffer>();

  readonly #verifyChecksums: boolean;
  readonly #maxBatchBytes: number;

  /** `verifyChecksums` defaults to the setting the store was opened with; `maxBatchBytes` to `DEFAULT_MAX_BATCH_BYTES`. */
  constructor(store: Store, columns: readonly string[], workers: number, stats: ReaderStats, options: { verifyChecksums?: boolean; maxBatchBytes?: number } = {}) {
    this.#store = store;
    this.#internals = storeInternals(store);
    const partition = new Set(store.fields.filter((f) => f.partition).map((f) => f.name));
    this.#parquetColumns = columns.filter((c) => !partition.has(c));
    this.#partitionColumns = columns.filter((c) => partition.has(c));
    this.#specs = this.#parquetColumns.map((c) => columnSpecOf(c, this.#internals.columns.get(c) ?? null, store.fields.find((f) => f.name === c), this.#internals.imageFormats.get(c)));
    this.#workers = workers;
    this.#verifyChecksums = options.verifyChecksums ?? this.#internals.verifyChecksums;
    this.#maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.stats = stats;
  }

  /** Live decode workers (0 after `close`). */
  get liveWorkers(): number {
    return this.#pool?.liveWorkers ?? 0;
  }

  /** The footer hyparquet decodes with: INT64 timestamps unannotated, so they come back as raw BigInt64Arrays. */
  #decodeFooter(file: string): FileMetaData {
    let f = this.#decodeFooters.get(file);
    if (!f) {
      const meta = this.#internals.footers.get(file)!;
      const byName = new Map(this.#specs.map((sp) => [sp.name, sp]));
      const spec = (name: string | undefined) => (name === undefined ? undefined : byName.get(name) ?? columnSpecOf(name, this.#internals.columns.get(name) ?? null, undefined, undefined));
      const schema = meta.schema.map((e) => {
        const sp = e.num_children ? undefined : spec(e.name);
        if (sp?.int96) return { ...e, type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: 12 };
        return sp?.timeUnit !== undefined || sp?.decimalScale !== undefined ? { ...e, converted_type: undefined, logical_type: undefined } : e;
      });
      // Row groups from `_metadata` name their file; hyparquet reads one file and refuses file_path.
      const row_groups = meta.row_groups.map((rg) => ({
        ...rg,
        columns: rg.columns.map((c) => {
          const md = c.meta_data;
          const int96 = md && md.path_in_schema.length === 1 && spec(md.path_in_schema[0])?.int96;
          return { ...c, file_path: undefined, meta_data: int96 ? { ...md, type: 'FIXED_LEN_BYTE_ARRAY' as const } : md };
        }),
      }));
      f = { ...meta, schema, row_groups, key_value_metadata: undefined };
      this.#decodeFooters.set(file, f);
    }
    return f;
  }

  /**
   * A committed part's own footer must still describe what `_metadata` recorded at its commit: same rows,
   * same row groups (its size was checked at open).
   */
  #checkPart(file: string, name: string): Promise<void> {
    const recorded = this.#internals.committedParts?.get(file);
    if (!this.#verifyChecksums || !recorded) return Promise.resolve();
    const checked = this.#internals.checkedParts;
    let check = checked.get(file);
    if (!check) {
      const source = this.#internals.fetcher.source(this.#internals.sources.get(file)!);
      check = readSourceFooter(source, { tailGuess: 8 }).then((own) => {
        const rowGroups = this.#store.rowGroups.filter((r) => r.file === file).length;
        checkCommittedPart(name, recorded, { numRows: Number(own.metadata.num_rows), rowGroups: own.metadata.row_groups.length }, rowGroups);
      });
      // A failed check (a network that gave up) is tried again by the next reader, not remembered.
      check.catch(() => checked.delete(file));
      checked.set(file, check);
    }
    return check;
  }

  /** The byte ranges of the projected column chunks of `rg`, one per chunk, in file order. */
  chunkRanges(rg: StoreRowGroup): ByteRange[] {
    const footer = this.#decodeFooter(rg.file);
    const wanted = new Set(this.#parquetColumns);
    const ranges: ByteRange[] = [];
    for (const c of footer.row_groups[rg.index]?.columns ?? []) {
      const md = c.meta_data;
      if (md && wanted.has(md.path_in_schema[0]!)) ranges.push(chunkRange(md));
    }
    return ranges.sort((a, b) => a.start - b.start);
  }

  /** Compressed bytes `fetch` reads for `unit` (a slice: its share of the chunks), what read-ahead budgets count. */
  byteLengthOf(unit: ReadUnit): number {
    const bytes = this.chunkRanges(unit.rowGroup).reduce((s, r) => s + r.end - r.start, 0);
    return isWhole(unit) ? bytes : Math.ceil((bytes * unit.numRows) / Math.max(1, unit.rowGroup.numRows));
  }

  /**
   * Whether `unit` is read column by column on the calling thread, keeping each column's place between
   * slices: a slice of a row group, or a row group with a column chunk larger than `maxBatchBytes`
   * uncompressed (its pages may be too: they are streamed). Other units go whole to a decode thread.
   */
  #byCursor(unit: ReadUnit): boolean {
    if (!isWhole(unit)) return true;
    const wanted = new Set(this.#parquetColumns);
    return (this.#decodeFooter(unit.rowGroup.file).row_groups[unit.rowGroup.index]?.columns ?? []).some((c) => c.meta_data && wanted.has(c.meta_data.path_in_schema[0]!) && Number(c.meta_data.total_uncompressed_size) > this.#maxBatchBytes);
  }

  /** Fetches the bytes `unit` needs (through the store's cache and request slots); units read by cursor fetch as they decode. */
  async fetch(unit: ReadUnit, signal?: AbortSignal): Promise<FetchedUnit> {
    const rg = unit.rowGroup;
    const name = this.#nameOf(rg);
    const generation = this.#generation;
    if (this.#parquetColumns.length === 0) return { unit, task: null, generation };
    // The decode threads start while the bytes are read (their start-up is most of the first batch's wait).
    if (this.#workers > 0) this.#startPool();
    if (this.#byCursor(unit)) {
      try {
        await this.#checkPart(rg.file, name);
      } catch (err) {
        throw asParquetReadError(err, { file: name, rowGroup: rg.index }, 'reading column chunks');
      }
      return { unit, task: null, generation, byCursor: true };
    }
    const footer = this.#decodeFooter(rg.file);
    const metadata: FileMetaData = { ...footer, row_groups: [footer.row_groups[rg.index]!], num_rows: BigInt(rg.numRows) };
    try {
      const src = this.#internals.sources.get(rg.file)!;
      // The part's own footer is checked while its chunks are read (a round trip less before the first
      // batch); its verdict comes first, since a replaced part explains any failure of the read.
      const checked = this.#checkPart(rg.file, name);
      // A failed check stops the read (its requests would only be retried in vain).
      const refused = new AbortController();
      checked.catch(() => refused.abort());
      const ranges = this.chunkRanges(rg);
      let pieces: Awaited<ReturnType<RangeFetcher['read']>>;
      try {
        for (const r of ranges) {
          if (r.start < 0 || r.end > src.byteLength || r.end < r.start) throw new Error(`column chunk bytes ${r.start}-${r.end} lie outside the file (${src.byteLength} bytes)`);
        }
        pieces = await this.#internals.fetcher.read(src, ranges, signal ? AbortSignal.any([signal, refused.signal]) : refused.signal);
      } catch (err) {
        await checked;
        throw err;
      }
      await checked;
      for (const r of ranges) this.stats.bytesRead += r.end - r.start;
      return {
        unit,
        generation,
        task: {
          file: name,
          rowGroup: rg.index,
          fileByteLength: src.byteLength,
          metadata,
          columns: this.#parquetColumns,
          specs: this.#specs,
          fetches: pieces.map((p) => ({ startByte: p.start, endByte: p.end })),
          buffers: pieces.map((p) => ownBuffer(p.bytes)),
          verifyChecksums: this.#verifyChecksums,
          maxPageBytes: this.#maxBatchBytes,
        },
      };
    } catch (err) {
      throw asParquetReadError(err, { file: name, rowGroup: rg.index }, 'reading column chunks');
    }
  }

  /** The byte ranges a column cursor asks for, read through the store's fetcher (its cache and request slots). */
  readonly #readFile = async (file: string, ranges: readonly ByteRange[], signal?: AbortSignal) => {
    const pieces = await this.#internals.fetcher.read(this.#internals.sources.get(file)!, ranges, signal);
    for (const r of ranges) this.stats.bytesRead += r.end - r.start;
    return pieces;
  };

  #startPool(): DecodePool {
    if (!this.#pool) {
      this.#pool = decodePlatform().createDecodePool(this.#workers, this.#readFile);
      this.#pool.start();
    }
    return this.#pool;
  }

  /**
   * Rows of `unit`, column by column, each column's cursor keeping its place: on a decode thread (the one
   * holding that cursor), or on this one with `workers: 0`. Cursors of the two row groups read last are
   * kept (a unit's neighbours may be decoding); older ones are freed.
   */
  async #readByCursor(unit: ReadUnit): Promise<DecodedRowGroup> {
    const rg = unit.rowGroup;
    const name = this.#nameOf(rg);
    const footer = this.#decodeFooter(rg.file);
    const metadata: FileMetaData = { ...footer, row_groups: [footer.row_groups[rg.index]!], num_rows: BigInt(rg.numRows) };
    const group = `${rg.file}\n${rg.index}`;
    if (!this.#cursorGroups.has(group)) {
      this.#cursorGroups.set(group, new Set());
      const old = [...this.#cursorGroups.keys()].slice(0, -2);
      const drop = old.flatMap((g) => [...this.#cursorGroups.get(g)!]);
      for (const g of old) this.#cursorGroups.delete(g);
      if (drop.length) {
        this.#inlineCursors?.drop(drop);
        this.#pool?.dropColumns(drop);
      }
    }
    const columns: Record<string, Column> = {};
    await Promise.all(
      this.#specs.map(async (spec) => {
        const element = this.#internals.columns.get(spec.name) ?? null;
        const where = { file: name, rowGroup: rg.index, column: spec.name };
        if (!isFlat(element)) {
          const codecs = new Set(metadata.row_groups[0]!.columns.map((c) => c.meta_data?.codec ?? 'UNCOMPRESSED'));
          const { compressors } = await loadCompressors(codecs);
          const tensors = spec.codec === 'ndarray' || spec.codec === 'image' ? await import('./tensor-codecs.js') : null;
          columns[spec.name] = await this.#nestedRows(unit, spec, metadata, compressors, tensors);
          return;
        }
        const chunkIndex = metadata.row_groups[0]!.columns.findIndex((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === spec.name);
        if (chunkIndex < 0) throw new ParquetReadError(`row group has no column chunk of ${spec.name}`, where);
        const key = `${group}\n${spec.name}\n${this.#maxBatchBytes}`;
        this.#cursorGroups.get(group)!.add(key);
        const read: ColumnRead = {
          key,
          file: rg.file,
          fileByteLength: this.#internals.sources.get(rg.file)!.byteLength,
          metadata,
          chunkIndex,
          element,
          spec,
          limits: { maxPageBytes: this.#maxBatchBytes },
          verifyChecksums: this.#verifyChecksums,
          where,
          rowStart: unit.rowStart,
          rowEnd: unit.rowEnd,
        };
        if (this.#workers > 0) columns[spec.name] = await this.#startPool().readColumn(read);
        else columns[spec.name] = await (this.#inlineCursors ??= new ColumnCursorHost(this.#readFile)).read(read);
      }),
    );
    return { numRows: unit.numRows, columns };
  }

  /**
   * A nested column (lists, maps, structs) of a unit read by cursor: its rows are known only once its chunk
   * is decoded, so the chunk is decoded whole (once per row group: the next slices cut it too) and cut.
   */
  async #nestedRows(unit: ReadUnit, spec: ColumnSpec, metadata: FileMetaData, compressors: Compressors, tensors: typeof import('./tensor-codecs.js') | null): Promise<Column> {
    const rg = unit.rowGroup;
    const key = `${rg.file}\n${rg.index}\n${spec.name}`;
    let whole = this.#nested.get(key);
    if (!whole) {
      // Only the row group being read is kept.
      for (const k of this.#nested.keys()) if (!k.startsWith(`${rg.file}\n${rg.index}\n`)) this.#nested.delete(k);
      whole = (async () => {
        const src = this.#internals.sources.get(rg.file)!;
        const ranges = (metadata.row_groups[0]!.columns ?? []).flatMap((c) => (c.meta_data?.path_in_schema[0] === spec.name ? [chunkRange(c.meta_data)] : []));
        const pieces = await this.#internals.fetcher.read(src, ranges);
        for (const r of ranges) this.stats.bytesRead += r.end - r.start;
        const decoded = await decodeRowGroup({
          file: this.#nameOf(rg),
          rowGroup: rg.index,
          fileByteLength: src.byteLength,
          metadata,
          columns: [spec.name],
          specs: [spec],
          fetches: pieces.map((p) => ({ startByte: p.start, endByte: p.end })),
          buffers: pieces.map((p) => ownBuffer(p.bytes)),
          verifyChecksums: this.#verifyChecksums,
          // Decoded whole by necessity: the bound does not apply to its pages.
          maxPageBytes: Number.MAX_SAFE_INTEGER,
        });
        return decoded.columns[spec.name]!;
      })();
      this.#nested.set(key, whole);
    }
    const all = await whole;
    return ArrayBuffer.isView(all) ? (all as unknown as { subarray(a: number, b: number): Column }).subarray(unit.rowStart, unit.rowEnd) : ((all as unknown[]).slice(unit.rowStart, unit.rowEnd) as Column);
  }

  /** Decodes fetched bytes on a decode thread (or inline with `workers: 0`); the task's buffers are transferred. */
  async decode(fetched: FetchedUnit): Promise<ColumnBatch> {
    const { unit, task } = fetched;
    let decoded: DecodedRowGroup;
    if (fetched.byCursor) {
      if (fetched.generation !== this.#generation) throw new Error('reader closed');
      try {
        decoded = await this.#readByCursor(unit);
      } catch (err) {
        throw asParquetReadError(err, { file: this.#nameOf(unit.rowGroup), rowGroup: unit.rowGroup.index }, 'decoding rows');
      }
    } else if (!task) decoded = { numRows: unit.numRows, columns: {} };
    else {
      if (fetched.generation !== this.#generation) throw new Error('reader closed');
      if (this.#workers > 0) decoded = await this.#startPool().run(task);
      else decoded = await decodeRowGroup(task);
    }
    this.stats.rowGroupsRead++;
    this.stats.rowsDecoded += decoded.numRows;
    const columns: Record<string, Column> = decoded.columns;
    // A cursor may keep writing into what it returned; a whole unit's columns are the caller's alone.
    if (!fetched.byCursor) for (const c of Object.values(columns)) if (ownsBuffer(c)) this.#handedOut.add(c.buffer as ArrayBuffer);
    for (const p of this.#partitionColumns) columns[p] = new Array<string>(decoded.numRows).fill(unit.rowGroup.partition[p]!);
    return { numRows: decoded.numRows, columns };
  }

  /**
   * Takes back columns of units this loader decoded whole that the caller will not read again (any other
   * column, or one given twice, is ignored): their buffers become the next outputs of a decode thread, or of
   * this thread with `workers: 0`. The columns' views are detached or overwritten.
   */
  recycle(columns: Iterable<Column>): void {
    const buffers: ArrayBuffer[] = [];
    for (const c of columns) {
      if (!ownsBuffer(c) || !this.#handedOut.has(c.buffer as ArrayBuffer)) continue;
      this.#handedOut.delete(c.buffer as ArrayBuffer);
      buffers.push(c.buffer as ArrayBuffer);
    }
    if (this.#pool) this.#pool.recycle(buffers);
    else spareBuffers.give(buffers);
  }

  /** Fetches and decodes one unit. */
  async load(unit: ReadUnit): Promise<ColumnBatch> {
    return this.decode(await this.fetch(unit));
  }

  #nameOf(rg: StoreRowGroup): string {
    const url = this.#store.url;
    return this.#store.location.singleFile ? url : `${url.endsWith('/') ? url.slice(0, -1) : url}/${rg.file}`;
  }

  /** Stops the decode workers (they restart on the next `load`) and lets this thread's spare column buffers go. */
  async close(): Promise<void> {
    this.#generation++;
    spareBuffers.clear();
    this.#inlineCursors?.close();
    this.#inlineCursors = null;
    this.#cursorGroups.clear();
    const pool = this.#pool;
    this.#pool = null;
    await pool?.close();
  }
}

/** Whether `c` is a typed array over the whole of an ArrayBuffer of its own (what can be recycled). */
function ownsBuffer(c: Column): c is Column & ArrayBufferView {
  return ArrayBuffer.isView(c) && c.byteLength > 0 && viewsWholeBuffer(c);
}
