import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineSchema, importCsv, type ImportCsvResult, makeBatchReader } from '../../src/index.js';
import { csvImportSettings } from '../../src/materialize/csv-import.js';
import { mulberry32 } from '../../src/prng.js';
import { useTmpDir } from '../tmp-dir.js';

// Every dtype the scanner parses itself (timestamps, floats, integers) or hands to the general reader's cell
// code (strings, bools, int64, nullable integers).
const Mixed = defineSchema('Mixed', [
  { name: 'timestamp', dtype: 'timestamp' },
  { name: 'price', dtype: 'float32' },
  { name: 'volume', dtype: 'float64', nullable: true },
  { name: 'count', dtype: 'int32' },
  { name: 'flags', dtype: 'uint8', nullable: true },
  { name: 'big', dtype: 'int64', nullable: true },
  { name: 'note', dtype: 'string', nullable: true },
  { name: 'ok', dtype: 'bool', nullable: true },
]);
const HEADER = ['timestamp', 'price', 'volume', 'count', 'flags', 'big', 'note', 'ok'];

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const digits = (rng: Rng, n: number) => Array.from({ length: n }, () => Math.floor(rng() * 10)).join('');

/** Mostly good cells of each column, and now and then one of the spellings either reader must get right. */
function cell(rng: Rng, column: string, weird: number): string {
  if (rng() < weird) {
    return pick(rng, ['', ' ', '1e3', '-2.5E-2', '+7', '.5', '5.', '-0', '0x10', '1,5', '"4"', '"a,b"', 'NaN', 'Infinity', '3.4e39', '12345678901234567', '0.1234567890123456789', '1.5\r', '\u00e9', '\xff', '2024-02-30', '2024-01-01T00:00:00Z', '1700000000', '-', '.', '1.2.3', '99999999999', '256', '-1', 'true', 'True', '0']);
  }
  switch (column) {
    case 'timestamp':
      return pick(rng, [String(1_600_000_000_000 + Math.floor(rng() * 1e11)), String(1_600_000_000 + Math.floor(rng() * 1e8)), '2024-03-01 12:00:00']);
    case 'price':
      return `${rng() < 0.2 ? '-' : ''}${digits(rng, 1 + Math.floor(rng() * 6))}.${digits(rng, Math.floor(rng() * 8))}`;
    case 'volume': {
      // Up to 19 significant digits: the scanner parses 15 itself, the rest must reach Number unchanged.
      const n = 1 + Math.floor(rng() * 19);
      const point = Math.floor(rng() * (n + 1));
      const d = digits(rng, n);
      return rng() < 0.1 ? '' : point === n ? d : `${d.slice(0, point)}.${d.slice(point)}`;
    }
    case 'count':
      return `${rng() < 0.2 ? '-' : ''}${digits(rng, 1 + Math.floor(rng() * 9))}`;
    case 'flags':
      return rng() < 0.2 ? '' : String(Math.floor(rng() * 256));
    case 'big':
      return rng() < 0.2 ? '' : `-${digits(rng, 1 + Math.floor(rng() * 18))}`;
    case 'note':
      return pick(rng, ['', 'up', 'down', 'flat', 'ünïcode']);
    default:
      return pick(rng, ['', 'true', 'false', '1', '0']);
  }
}

interface Shape {
  lines: number;
  crlf: boolean;
  bom: boolean;
  weird: number;
  /** Chance of a line with a column too many or too few, or blank. */
  ragged: number;
  /** Columns in this order, and left out (nullable ones). */
  columns: string[];
  finalNewline: boolean;
}

function csvText(rng: Rng, s: Shape): string {
  const eol = s.crlf ? '\r\n' : '\n';
  const out: string[] = [s.columns.join(',')];
  for (let i = 0; i < s.lines; i++) {
    const r = rng();
    if (r < s.ragged / 3) out.push('');
    else if (r < (2 * s.ragged) / 3) out.push(s.columns.map((c) => cell(rng, c, s.weird)).join(',') + ',1');
    else if (r < s.ragged) out.push(s.columns.slice(1).map((c) => cell(rng, c, s.weird)).join(','));
    else out.push(s.columns.map((c) => cell(rng, c, s.weird)).join(','));
  }
  return `${s.bom ? '\uFEFF' : ''}${out.join(eol)}${s.finalNewline ? eol : ''}`;
}

type Outcome = { ok: true; result: ImportCsvResult; columns: Record<string, string[]> } | { ok: false; name: string; message: string; line: unknown; field: unknown };

async function importWith(scanner: boolean, csv: string, store: string, skipInvalid: boolean): Promise<Outcome> {
  csvImportSettings.scanner = scanner;
  try {
    const result = await importCsv(csv, store, Mixed, { skipInvalid, rowGroupSize: 10_000 });
    const columns: Record<string, string[]> = {};
    for await (const b of await makeBatchReader(store, { workers: 0 })) {
      for (const [name, col] of Object.entries(b.columns)) (columns[name] ??= []).push(...Array.from(col as ArrayLike<unknown>, (v) => (Object.is(v, -0) ? '-0' : String(v))));
    }
    return { ok: true, result: { ...result, files: [] }, columns };
  } catch (err) {
    const e = err as Error & { line?: unknown; field?: unknown };
    return { ok: false, name: e.name, message: e.message, line: e.line, field: e.field };
  } finally {
    csvImportSettings.scanner = true;
  }
}

describe('importCsv: the byte scanner reads every CSV exactly as the general reader (csv-parse) does', function () {
  this.timeout(300_000);
  const tmp = useTmpDir();

  async function same(name: string, text: string | Buffer, skipInvalid: boolean): Promise<Outcome> {
    const csv = join(tmp(), `${name}.csv`);
    writeFileSync(csv, text);
    const scanned = await importWith(true, csv, join(tmp(), `${name}-scanned`), skipInvalid);
    const parsed = await importWith(false, csv, join(tmp(), `${name}-parsed`), skipInvalid);
    expect(scanned, name).to.deep.equal(parsed);
    return scanned;
  }

  it('120 seeded files: LF or CRLF, BOM, reordered and missing columns, blank and ragged lines, odd spellings, quotes and stray CRs; with and without skipInvalid', async () => {
    let read = 0;
    let refused = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const rng = mulberry32(seed);
      const optional = ['volume', 'flags', 'big', 'note', 'ok'].filter(() => rng() < 0.2);
      const columns = HEADER.filter((c) => !optional.includes(c)).sort(() => (rng() < 0.3 ? rng() - 0.5 : 0));
      const shape: Shape = { lines: 1 + Math.floor(rng() * 60), crlf: rng() < 0.4, bom: rng() < 0.2, weird: pick(rng, [0, 0.01, 0.05, 0.2]), ragged: pick(rng, [0, 0, 0.02, 0.1]), columns, finalNewline: rng() < 0.8 };
      const text = csvText(rng, shape);
      for (const skipInvalid of [false, true]) {
        const o = await same(`seed${seed}-${skipInvalid}`, text, skipInvalid);
        if (o.ok) read++;
        else refused++;
      }
    }
    // Both kinds of outcome are exercised.
    expect(read).to.be.greaterThan(60);
    expect(refused).to.be.greaterThan(20);
  });

  it('a file of 150,000 lines (read in several 1 MiB pieces, chunks of 65,536 rows) with bad lines, a blank line and, late, a quoted field that hands the rest to csv-parse', async () => {
    const rng = mulberry32(99);
    const columns = ['timestamp', 'price', 'volume', 'count'];
    const lines: string[] = [columns.join(',')];
    for (let i = 0; i < 150_000; i++) {
      if (i === 40_000) lines.push('');
      else if (i % 9_973 === 0) lines.push(`${1_600_000_000_000 + i},oops,1,2`);
      else if (i === 130_000) lines.push(`${1_600_000_000_000 + i},"5.5",1,${i}`);
      else lines.push(`${1_600_000_000_000 + i},${(rng() * 1e5).toFixed(2)},${Math.floor(rng() * 1e9)},${i}`);
    }
    const text = `${lines.join('\n')}\n`;
    expect(text.length).to.be.greaterThan(4 * 2 ** 20);
    const o = await same('large', text, true);
    expect(o.ok && o.result.numRows).to.equal(150_000 - 1 - 16);
    expect(o.ok && o.result.skipped).to.equal(16);
    const refused = await same('large-strict', text, false);
    expect(refused.ok === false && refused.line).to.equal(2);
    // Without bad lines: the rows before and after the hand-over are all there, in order.
    const clean = `${lines.filter((l) => !l.includes('oops')).join('\r\n')}\r\n`;
    const c = await same('large-clean-crlf', clean, false);
    expect(c.ok && c.columns.count!.length).to.equal(150_000 - 16 - 1);
    expect(c.ok && c.columns.price![c.columns.count!.indexOf('130000')]).to.equal('5.5');
  });
});
