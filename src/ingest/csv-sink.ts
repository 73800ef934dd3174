import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CsvError } from '../errors.js';
import type { IngestLogger } from './log.js';
import { CSV_HEADER, formatCsvRow, type PriceRow } from './price-row.js';
import type { RowSink } from './row-sink.js';

const TAIL_BYTES = 4096;

/**
 * A price CSV (`timestamp,price_usd,market_cap,price_change_24h,total_volume`) as a `RowSink`: writes the header
 * when the file is new or empty, appends each batch with one write followed by `fsync`, and refuses rows that are
 * not strictly after the last stored timestamp. Opening an existing file checks its header and reads only the tail
 * to find the last timestamp; a torn last line (no newline: the process died mid-write, before the fsync that
 * would have acknowledged it) is cut off so the file stays parseable.
 *
 * @example
 * const sink = await CsvRowSink.open('data/btc.csv');
 * const since = await sink.lastTimestamp(); // null for a new file
 * await sink.append(rows);
 */
export class CsvRowSink implements RowSink {
  readonly path: string;
  private last: number | null;

  private constructor(path: string, last: number | null) {
    this.path = path;
    this.last = last;
  }

  /** Opens (creating it and its folder if needed) the CSV at `path`. Throws `CsvError` for a file with another header. */
  static async open(path: string, log?: IngestLogger): Promise<CsvRowSink> {
    await mkdir(dirname(path), { recursive: true });
    const fh = await open(path, 'a+');
    try {
      const { size } = await fh.stat();
      if (size === 0) {
        await writeDurably(fh, `${CSV_HEADER}\n`);
        return new CsvRowSink(path, null);
      }
      const head = await readAt(fh, 0, CSV_HEADER.length + 2);
      if (!head.startsWith(`${CSV_HEADER}\n`) && !head.startsWith(`${CSV_HEADER}\r\n`)) {
        if (!`${CSV_HEADER}\n`.startsWith(head)) {
          const firstLine = head.split(/\r?\n/, 1)[0]!;
          throw new CsvError(`CsvRowSink: header must be ${JSON.stringify(CSV_HEADER)}; found ${JSON.stringify(firstLine)}. Use a new file or one written by tfpl ingest/backfill.`, path, 1);
        }
        // a header torn by a crash during the very first write
        await fh.truncate(0);
        await writeDurably(fh, `${CSV_HEADER}\n`);
        return new CsvRowSink(path, null);
      }
      return new CsvRowSink(path, await repairAndReadLast(fh, size, path, log));
    } finally {
      await fh.close();
    }
  }

  async lastTimestamp(): Promise<number | null> {
    return this.last;
  }

  async append(rows: PriceRow[]): Promise<void> {
    if (rows.length === 0) return;
    let previous = this.last ?? -Infinity;
    for (const row of rows) {
      if (!(row.timestamp > previous)) {
        throw new CsvError(`CsvRowSink.append: timestamps must increase; ${new Date(row.timestamp).toISOString()} is not after ${new Date(previous).toISOString()}`, this.path);
      }
      previous = row.timestamp;
    }
    const fh = await open(this.path, 'a');
    try {
      await writeDurably(fh, `${rows.map(formatCsvRow).join('\n')}\n`);
    } finally {
      await fh.close();
    }
    this.last = previous;
  }

  async close(): Promise<void> {}
}

async function writeDurably(fh: FileHandle, text: string): Promise<void> {
  await fh.writeFile(text, 'utf8');
  await fh.sync();
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<string> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead).toString('utf8');
}

/**
 * Reads backwards from the end until the last non-blank line is in hand and returns its timestamp (null when it
 * is the header). A torn last line is cut first; blank lines (an editor's trailing newline) are passed over.
 */
async function repairAndReadLast(fh: FileHandle, size: number, path: string, log?: IngestLogger): Promise<number | null> {
  let tailSize = Math.min(size, TAIL_BYTES);
  let repaired = false;
  for (;;) {
    const tail = await readAt(fh, size - tailSize, tailSize);
    if (!repaired && !tail.endsWith('\n')) {
      const cut = tail.lastIndexOf('\n');
      if (cut < 0 && tailSize < size) {
        tailSize = Math.min(size, tailSize * 4);
        continue;
      }
      const torn = tail.slice(cut + 1);
      size -= Buffer.byteLength(torn);
      await fh.truncate(size);
      await fh.sync();
      repaired = true;
      log?.({ level: 'warn', message: `CsvRowSink: cut an incomplete last line from ${path}`, reason: 'torn-line', file: path, line: torn.slice(0, 80) });
      tailSize = Math.min(size, tailSize);
      continue;
    }
    const lines = tail.split('\n');
    lines.pop(); // after the final newline
    // the first line of a partial tail may itself be partial: only trust it when the tail is the whole file
    const firstComplete = tailSize < size ? 1 : 0;
    let line: string | undefined;
    for (let i = lines.length - 1; i >= firstComplete; i--) {
      if (lines[i]!.trim() !== '') {
        line = lines[i]!.replace(/\r$/, '');
        break;
      }
    }
    if (line === undefined) {
      if (tailSize < size) {
        tailSize = Math.min(size, tailSize * 4);
        continue;
      }
      return null;
    }
    if (line === CSV_HEADER) return null;
    const comma = line.indexOf(',');
    const first = (comma < 0 ? line : line.slice(0, comma)).replace(/^"(.*)"$/, '$1');
    const timestamp = /^\d{4}-\d{2}-\d{2}T/.test(first) ? Date.parse(first) : NaN;
    if (Number.isNaN(timestamp)) throw new CsvError(`CsvRowSink: last line does not start with an ISO-8601 timestamp: ${JSON.stringify(line.slice(0, 80))}`, path);
    return timestamp;
  }
}
