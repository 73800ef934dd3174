import type { FileMetaData } from 'hyparquet';
import type { Column, ColumnBatch } from '../schema/columns.js';
import { decodePlatform } from './decode-platform.js';
import { type Store, type StoreInternals, type StoreRowGroup, storeInternals } from '../store/open-store.js';
import { asParquetReadError } from '../store/parquet-read-error.js';
import { checkCommittedPart } from '../store/committed-parts.js';
import { chunkRange } from '../store/page-checksums.js';
import type { ByteRange } from '../store/range-fetcher.js';
import { readSourceFooter } from '../store/source-footer.js';
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

/** A row group whose bytes are fetched and not yet decoded. */
export interface FetchedRowGroup {
  rowGroup: StoreRowGroup;
  /** Null when no Parquet column is read (only partition keys). */
  task: DecodeTask | null;
  /** The loader's generation when the fetch started: a reader closed since then does not decode it. */
  generation: number;
}

/**
 * Fetches and decodes single row groups of one store: reads exactly the byte ranges of the projected
 * column chunks, then decodes them on a decode thread (or inline with `workers: 0`).
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
  readonly stats: ReaderStats;

  readonly #verifyChecksums: boolean;

  /** `verifyChecksums` defaults to the setting the store was opened with. */
  constructor(store: Store, columns: readonly string[], workers: number, stats: ReaderStats, options: { verifyChecksums?: boolean } = {}) {
    this.#store = store;
    this.#internals = storeInternals(store);
    const partition = new Set(store.fields.filter((f) => f.partition).map((f) => f.name));
    this.#parquetColumns = columns.filter((c) => !partition.has(c));
    this.#partitionColumns = columns.filter((c) => partition.has(c));
    this.#specs = this.#parquetColumns.map((c) => columnSpecOf(c, this.#internals.columns.get(c) ?? null, store.fields.find((f) => f.name === c), this.#internals.imageFormats.get(c)));
    this.#workers = workers;
    this.#verifyChecksums = options.verifyChecksums ?? this.#internals.verifyChecksums;
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

  /** Compressed bytes `fetch` reads for `rg` (what read-ahead budgets count). */
  byteLengthOf(rg: StoreRowGroup): number {
    return this.chunkRanges(rg).reduce((s, r) => s + r.end - r.start, 0);
  }

  /** Fetches the bytes of `rg`'s projected column chunks (through the store's cache and request slots). */
  async fetch(rg: StoreRowGroup, signal?: AbortSignal): Promise<FetchedRowGroup> {
    const name = this.#nameOf(rg);
    const generation = this.#generation;
    if (this.#parquetColumns.length === 0) return { rowGroup: rg, task: null, generation };
    // The decode threads start while the bytes are read (their start-up is most of the first batch's wait).
    if (this.#workers > 0 && !this.#pool) {
      this.#pool = decodePlatform().createDecodePool(this.#workers);
      this.#pool.start();
    }
    const footer = this.#decodeFooter(rg.file);
    const metadata: FileMetaData = { ...footer, row_groups: [footer.row_groups[rg.index]!], num_rows: BigInt(rg.numRows) };
    try {
      const src = this.#internals.sources.get(rg.file)!;
      await this.#checkPart(rg.file, name);
      const ranges = this.chunkRanges(rg);
      for (const r of ranges) {
        if (r.start < 0 || r.end > src.byteLength || r.end < r.start) throw new Error(`column chunk bytes ${r.start}-${r.end} lie outside the file (${src.byteLength} bytes)`);
      }
      const pieces = await this.#internals.fetcher.read(src, ranges, signal);
      for (const r of ranges) this.stats.bytesRead += r.end - r.start;
      return {
        rowGroup: rg,
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
        },
      };
    } catch (err) {
      throw asParquetReadError(err, { file: name, rowGroup: rg.index }, 'reading column chunks');
    }
  }

  /** Decodes fetched bytes on a decode thread (or inline with `workers: 0`); the task's buffers are transferred. */
  async decode(fetched: FetchedRowGroup): Promise<ColumnBatch> {
    const { rowGroup: rg, task } = fetched;
    let decoded: DecodedRowGroup;
    if (!task) decoded = { numRows: rg.numRows, columns: {} };
    else {
      if (fetched.generation !== this.#generation) throw new Error('reader closed');
      if (this.#workers > 0) {
        const pool = (this.#pool ??= decodePlatform().createDecodePool(this.#workers));
        decoded = await pool.run(task);
      } else decoded = await decodeRowGroup(task);
    }
    this.stats.rowGroupsRead++;
    this.stats.rowsDecoded += decoded.numRows;
    const columns: Record<string, Column> = decoded.columns;
    for (const p of this.#partitionColumns) columns[p] = new Array<string>(decoded.numRows).fill(rg.partition[p]!);
    return { numRows: decoded.numRows, columns };
  }

  /** Fetches and decodes one row group. */
  async load(rg: StoreRowGroup): Promise<ColumnBatch> {
    return this.decode(await this.fetch(rg));
  }

  #nameOf(rg: StoreRowGroup): string {
    const url = this.#store.url;
    return this.#store.location.singleFile ? url : `${url.endsWith('/') ? url.slice(0, -1) : url}/${rg.file}`;
  }

  /** Stops the decode workers (they restart on the next `load`). */
  async close(): Promise<void> {
    this.#generation++;
    const pool = this.#pool;
    this.#pool = null;
    await pool?.close();
  }
}
