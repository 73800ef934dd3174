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

/** Reads backwards from the end until a whole last data line is in hand; cuts a torn line; returns its timestamp. */
async function repairAndReadLast(fh: FileHandle, size: number, path: string, log?: IngestLogger): Promise<number | null> {
  let tailSize = Math.min(size, TAIL_BYTES);
  for (;;) {
    const tail = await readAt(fh, size - tailSize, tailSize);
    let end = tail.length;
    if (!tail.endsWith('\n')) {
      const cut = tail.lastIndexOf('\n');
      if (cut < 0 && tailSize < size) {
        tailSize = Math.min(size, tailSize * 4);
        continue;
      }
      const keep = size - Buffer.byteLength(tail.slice(cut + 1));
      await fh.truncate(keep);
      await fh.sync();
      log?.({ level: 'warn', message: `CsvRowSink: cut an incomplete last line from ${path}`, reason: 'torn-line', file: path, line: tail.slice(cut + 1).slice(0, 80) });
      end = cut + 1;
      if (keep === 0) return null;
    }
    const body = tail.slice(0, end).replace(/\r?\n$/, '');
    const start = body.lastIndexOf('\n');
    if (start < 0 && tailSize < size) {
      tailSize = Math.min(size, tailSize * 4);
      continue;
    }
    const line = body.slice(start + 1);
    if (line === CSV_HEADER || line === '') return null;
    const timestamp = Date.parse(line.slice(0, line.indexOf(',')));
    if (Number.isNaN(timestamp)) throw new CsvError(`CsvRowSink: last line does not start with an ISO-8601 timestamp: ${JSON.stringify(line.slice(0, 80))}`, path);
    return timestamp;
  }
}
