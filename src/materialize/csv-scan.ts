import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { CsvError } from '../errors.js';
import type { Unischema } from '../schema/unischema.js';
import { type CsvHeaderLayout, type CsvLayout, describeSupportedLayouts, detectCsvLayout } from './csv-layout.js';
import { parsedCsvChunks } from './csv-parsed-chunks.js';
import { type CsvImportReport, type CsvLineProblem, CsvChunkBuilder, fillCell, fillRow, rejectLine } from './csv-rows.js';
import type { ColumnChunk } from './row-input.js';

const LF = 10;
const CR = 13;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
/** Powers of ten that are exact doubles (10^22 is the last). */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);

/** How the scanner reads a field's bytes: as a decimal number, as epoch digits, or as text through `fillCell`. */
const enum Kind {
  Decimal,
  Epoch,
  Text,
}

/** Thrown inside the scanner for a line only the general reader reads the way it always has (quotes, stray CR). */
class Handover {
  constructor(readonly lineStart: number) {}
}

/**
 * The fast CSV reader: unquoted lines scanned as bytes straight into the chunk's typed columns. A decimal
 * cell of at most 15 digits (no exponent) is parsed from its bytes, exactly as `Number` parses its text (the
 * digits as an integer below 2^53, divided once by an exact power of ten: correctly rounded); epoch
 * timestamps of 9 to 13 digits likewise. Every other cell goes through `fillCell`, the general reader's own
 * code, and a line with any problem is read again by `fillRow` on its text, so values, messages and line
 * numbers are the general reader's. At the first quote, or a carriage return that is not part of the line
 * end, the rest of the file goes to the general reader (csv-parse) from that line, with the rows read so far.
 */
export async function* scannedCsvChunks(path: string, schema: Unischema, layouts: readonly CsvHeaderLayout[], skipInvalid: boolean, report: CsvImportReport): AsyncGenerator<ColumnChunk> {
  const fields = schema.fields;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const next = async (): Promise<Buffer | null> => {
    try {
      const r = await chunks.next();
      return r.done ? null : r.value;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') throw new CsvError(`importCsv: ${path}: file not found`, path, undefined, { cause: err });
      throw new CsvError(`importCsv: ${path}: not readable as CSV: ${e.message}`, path, undefined, { cause: err });
    }
  };

  const builder = new CsvChunkBuilder(path, schema);
  let layout: CsvLayout | null = null;
  let crlf = false;
  let line = 0;
  // Per CSV column: the schema field it fills and how; fields the CSV lacks (nullable) are set per row.
  let fieldOf = new Int32Array(0);
  let kinds = new Uint8Array(0);
  /** Per schema field: the integer range a parsed number must fall in (none for floats and timestamps). */
  let intMin = new Float64Array(0);
  let intMax = new Float64Array(0);
  let absent: number[] = [];

  const hasQuoteOrCr = (buf: Buffer, from: number, to: number) => {
    for (let i = from; i < to; i++) if (buf[i] === QUOTE || buf[i] === CR) return true;
    return false;
  };
  const splitLine = (buf: Buffer, from: number, to: number) => buf.toString('utf8', from, to).split(',');

  /** The header line; false when the file must go to the general reader from the top. */
  const readHeader = (buf: Buffer, from: number, to: number): boolean => {
    if (hasQuoteOrCr(buf, from, to)) return false;
    const record = splitLine(buf, from, to);
    layout = detectCsvLayout(schema, record, layouts);
    if (!layout) throw new CsvError(`importCsv: ${path}:${line}: unrecognised header ${JSON.stringify(record.join(','))}; expected ${describeSupportedLayouts(schema, layouts)}`, path, line);
    report.layout = layout.name;
    const l = layout;
    fieldOf = new Int32Array(l.header.length);
    for (let i = 0; i < fields.length; i++) if (l.columnOf[i]! >= 0) fieldOf[l.columnOf[i]!] = i;
    kinds = Uint8Array.from(fields, (f) => (f.dtype === 'timestamp' ? Kind.Epoch : f.dtype === 'float32' || f.dtype === 'float64' || (!f.nullable && (f.dtype === 'int32' || f.dtype === 'uint8')) ? Kind.Decimal : Kind.Text));
    intMin = Float64Array.from(fields, (f) => (f.dtype === 'int32' ? -2147483648 : f.dtype === 'uint8' ? 0 : NaN));
    intMax = Float64Array.from(fields, (f) => (f.dtype === 'int32' ? 2147483647 : f.dtype === 'uint8' ? 255 : NaN));
    absent = fields.map((_, i) => i).filter((i) => l.columnOf[i] === -1);
    return true;
  };

  /** Reads one data line into row `builder.numRows`, or returns its problem (the general reader's, from `fillRow`). */
  const readLine = (buf: Buffer, from: number, to: number): CsvLineProblem | null => {
    const l = layout!;
    const columns = builder.columns;
    const r = builder.numRows;
    const width = l.header.length;
    let pos = from;
    let fast = true;
    for (let c = 0; c < width && fast; c++) {
      const i = fieldOf[c]!;
      const kind = kinds[i]!;
      let q = pos;
      let parsed = false;
      let v = 0;
      if (kind !== Kind.Text) {
        let b = buf[q];
        const negative = b === MINUS;
        if (kind === Kind.Decimal && (negative || b === PLUS)) q++;
        let m = 0;
        let digits = 0;
        let frac = -1;
        for (; q < to; q++) {
          b = buf[q]!;
          if (b >= 48 && b <= 57) {
            m = m * 10 + (b - 48);
            digits++;
            if (frac >= 0) frac++;
          } else if (b === DOT && frac < 0 && kind === Kind.Decimal) frac = 0;
          else break;
        }
        if (q === to || buf[q] === COMMA) {
          if (kind === Kind.Decimal && digits > 0 && digits <= 15) {
            v = frac > 0 ? m / POW10[frac]! : m;
            if (negative) v = -v;
            parsed = true;
          } else if (kind === Kind.Epoch && digits >= 9 && digits <= 13) {
            v = digits <= 10 ? m * 1000 : m;
            parsed = true;
          }
        }
      }
      const col = columns[i]!;
      if (parsed) {
        // Integers must be whole and in range; anything else is the general reader's to report.
        const lo = intMin[i]!;
        if (lo === lo && !(Number.isInteger(v) && v >= lo && v <= intMax[i]!)) fast = false;
        else (col as Float64Array)[r] = v;
      } else {
        q = buf.indexOf(COMMA, pos);
        if (q < 0 || q > to) q = to;
        if (hasQuoteOrCr(buf, pos, q)) throw new Handover(from);
        if (fillCell(buf.toString('utf8', pos, q), fields[i]!, l, c, col, r) !== null) fast = false;
      }
      // The field must end at a comma, except the last, which must end the line.
      if (c < width - 1) {
        if (q >= to) fast = false;
        pos = q + 1;
      } else if (q !== to) fast = false;
    }
    if (fast) for (const i of absent) if (fillCell('', fields[i]!, l, -1, columns[i]!, r) !== null) fast = false;
    if (fast) return null;
    if (hasQuoteOrCr(buf, from, to)) throw new Handover(from);
    return fillRow(splitLine(buf, from, to), l, fields, columns, r);
  };

  let buf: Buffer | null = await next();
  if (buf && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
  let carry: Buffer = Buffer.alloc(0);
  let lineEndKnown = false;
  // csv-parse reads a file with a UTF-16LE byte order mark as UTF-16: its business.
  let handover: { buf: Buffer; at: number } | null = buf && buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe ? { buf, at: -1 } : null;
  scan: for (; !handover; ) {
    const atEnd = buf === null;
    const data: Buffer = atEnd ? carry : carry.length ? Buffer.concat([carry, buf!]) : buf!;
    // Complete lines end at the last LF; at the end of the file the rest is the last line.
    const last = atEnd ? data.length : data.lastIndexOf(LF) + 1;
    let p = 0;
    while (p < last) {
      let e = data.indexOf(LF, p);
      if (e < 0 || e >= last) e = last;
      const lfEnded = e < data.length && data[e] === LF;
      if (!lineEndKnown) {
        // csv-parse takes the file's line end from the first CR or LF: '\r\n', '\n' or '\r'.
        const firstCr = data.indexOf(CR, p);
        if (!lfEnded || (firstCr >= 0 && firstCr < e - 1)) {
          handover = { buf: data, at: -1 };
          break scan;
        }
        crlf = e > p && data[e - 1] === CR;
        lineEndKnown = true;
      }
      let end = e;
      if (crlf && lfEnded) {
        if (e === p || data[e - 1] !== CR) {
          // A bare LF in a CRLF file is field content to csv-parse.
          handover = { buf: data, at: p };
          break scan;
        }
        end = e - 1;
      }
      line++;
      try {
        if (end > p) {
          if (!layout) {
            if (!readHeader(data, p, end)) {
              handover = { buf: data, at: -1 };
              break scan;
            }
          } else {
            const problem = readLine(data, p, end);
            if (problem !== null) rejectLine(path, line, problem, skipInvalid, report);
            else if (builder.commit(line)) yield builder.take();
          }
        }
      } catch (err) {
        if (!(err instanceof Handover)) throw err;
        line--;
        handover = { buf: data, at: err.lineStart };
        break scan;
      }
      p = e + 1;
    }
    if (atEnd) break;
    carry = data.subarray(last);
    buf = await next();
  }

  if (handover) {
    if (handover.at < 0 || !layout) {
      // Nothing read yet: the general reader reads the whole file, as it always has.
      stream.destroy();
      yield* parsedCsvChunks(createReadStream(path), path, schema, layouts, skipInvalid, report);
      return;
    }
    const { buf: from, at } = handover;
    const rest = Readable.from(
      (async function* () {
        yield from.subarray(at);
        for (let b = await next(); b !== null; b = await next()) yield b;
      })(),
      { objectMode: false },
    );
    yield* parsedCsvChunks(rest, path, schema, layouts, skipInvalid, report, { linesBefore: line, layout, recordDelimiter: crlf ? '\r\n' : '\n', builder });
    return;
  }
  if (!layout) throw new CsvError(`importCsv: ${path}: the file is empty; expected a header ${describeSupportedLayouts(schema, layouts)}`, path);
  if (builder.numRows > 0) yield builder.take();
}
