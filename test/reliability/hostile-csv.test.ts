import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvError, SchemaError, isTfplError } from '../../src/errors.js';
import { CsvRowSink } from '../../src/ingest/csv-sink.js';
import { CSV_HEADER } from '../../src/ingest/price-row.js';
import { BitcoinSchema } from '../../src/forecasting/index.js';
import { importCsv, openStore } from '../../src/index.js';
import { mulberry32 } from '../../src/prng.js';
import { defineSchema } from '../../src/schema/unischema.js';
import { duck, lit } from '../duckdb.js';
import { useTmpDir } from '../tmp-dir.js';
import { reliabilityCounts } from './counts.js';
import { withinMs } from './bounded.js';

/**
 * Hostile CSV input: every file is either read exactly right (checked with DuckDB on the store written) or
 * refused with a CsvError/SchemaError that names the file and the line — never another error, never a hang.
 */

const H = CSV_HEADER;
const T = (iso: string) => Date.parse(iso);
const Notes = defineSchema('Notes', [
  { name: 'timestamp', dtype: 'timestamp' },
  { name: 'note', dtype: 'string', nullable: true },
]);

type Row = (number | string | null)[];

/** Inputs that must be read, with the rows DuckDB must find (timestamps in epoch ms; floats as stored). */
const READ: { what: string; text: string | Buffer; rows: Row[]; notes?: boolean }[] = [
  {
    what: 'a UTF-8 BOM, CRLF line ends, quoted fields, scientific notation and empty nullable values',
    text: `\uFEFF${H}\r\n"2024-01-01T00:00:00Z","4.2e4",1.5E+12,,"3e10"\r\n2024-01-01T01:00:00Z,42001.5,1500000000000,-0.5,\r\n`,
    rows: [
      [T('2024-01-01T00:00:00Z'), 42000, 1.5e12, null, 3e10],
      [T('2024-01-01T01:00:00Z'), 42001.5, 1.5e12, -0.5, null],
    ],
  },
  {
    what: 'a UTF-16LE file with its BOM',
    text: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${H}\n2024-01-01T00:00:00Z,1,2,3,4\n`, 'utf16le')]),
    rows: [[T('2024-01-01T00:00:00Z'), 1, 2, 3, 4]],
  },
  {
    what: 'old Mac CR-only line ends, no newline at the end',
    text: `${H}\r2024-01-01T00:00:00Z,1,2,3,4\r2024-01-01T01:00:00Z,5,6,7,8`,
    rows: [
      [T('2024-01-01T00:00:00Z'), 1, 2, 3, 4],
      [T('2024-01-01T01:00:00Z'), 5, 6, 7, 8],
    ],
  },
  {
    what: 'number spellings (+1, .5, 5., -0, 1e3, 2E-3, -1.5e+1) and timestamp spellings (date only, epoch s, epoch ms, +01:00)',
    text: `${H}\n2024-01-01,+1,.5,5.,-0\n1704070800,1e3,2E-3,-1.5e+1,\n1704074400000,1,2,,\n2024-01-01T04:00:00+01:00,1,2,3,4\n`,
    rows: [
      [T('2024-01-01T00:00:00Z'), 1, 0.5, 5, -0],
      [T('2024-01-01T01:00:00Z'), 1000, 0.002, -15, null],
      [T('2024-01-01T02:00:00Z'), 1, 2, null, null],
      [T('2024-01-01T03:00:00Z'), 1, 2, 3, 4],
    ],
  },
  {
    what: 'columns in another order, nullable columns left out, blank lines',
    text: `market_cap,timestamp,price_usd\n\n7,2024-01-01T00:00:00Z,6\n\n`,
    rows: [[T('2024-01-01T00:00:00Z'), 6, 7, null, null]],
  },
  {
    what: 'quoted strings holding commas, doubled quotes, a newline and multi-byte UTF-8',
    notes: true,
    text: `timestamp,note\n2024-01-01T00:00:00Z,"a,b"\n2024-01-01T01:00:00Z,"say ""hi"""\n2024-01-01T02:00:00Z,"two\nlines"\n2024-01-01T03:00:00Z,Zürich 🚀\n2024-01-01T04:00:00Z,\n`,
    rows: [
      [T('2024-01-01T00:00:00Z'), 'a,b'],
      [T('2024-01-01T01:00:00Z'), 'say "hi"'],
      [T('2024-01-01T02:00:00Z'), 'two\nlines'],
      [T('2024-01-01T03:00:00Z'), 'Zürich 🚀'],
      [T('2024-01-01T04:00:00Z'), null],
    ],
  },
];

/** Inputs that must be refused: error class, line, field (when the problem is one field). */
const REFUSED: { what: string; text: string | Buffer; error: typeof CsvError | typeof SchemaError; line?: number; lines?: number[]; field?: string; says: string; notes?: boolean }[] = [
  { what: 'a line with an extra column', text: `${H}\n2024-01-01,1,2,3,4\n2024-01-02,1,2,3,4,5\n`, error: SchemaError, line: 3, says: 'has 6 columns, the header has 5' },
  { what: 'a line with a missing column', text: `${H}\n2024-01-01,1,2,3\n`, error: SchemaError, line: 2, says: 'has 4 columns, the header has 5' },
  { what: 'a whitespace-only line', text: `${H}\n2024-01-01,1,2,3,4\n   \n`, error: SchemaError, line: 3, says: 'has 1 columns' },
  { what: 'an empty non-nullable value', text: `${H}\n2024-01-01,,2,3,4\n`, error: SchemaError, line: 2, field: 'price_usd', says: 'is empty (the field is not nullable)' },
  { what: 'a quoted empty non-nullable value after CRLF lines', text: `${H}\r\n2024-01-01,1,2,3,4\r\n2024-01-02,1,"",3,4\r\n`, error: SchemaError, line: 3, field: 'market_cap', says: 'is empty' },
  {
    what: 'a Latin-1 byte (not UTF-8) in a number',
    text: Buffer.concat([Buffer.from(`${H}\n2024-01-01,1,2,3,4\n2024-01-02,1,`), Buffer.from([0xe9]), Buffer.from('2,3,4\n')]),
    error: SchemaError,
    line: 3,
    field: 'market_cap',
    says: 'is not valid UTF-8 text',
  },
  { what: 'a Latin-1 byte in a string field', notes: true, text: Buffer.concat([Buffer.from('timestamp,note\n2024-01-01,Z'), Buffer.from([0xfc]), Buffer.from('rich\n')]), error: SchemaError, line: 2, field: 'note', says: 'is not valid UTF-8 text' },
  { what: 'a NUL byte in a number', text: `${H}\n2024-01-01,1\u0000,2,3,4\n`, error: SchemaError, line: 2, field: 'price_usd', says: 'cannot parse' },
  { what: 'Infinity', text: `${H}\n2024-01-01,Infinity,1,2,3\n`, error: SchemaError, line: 2, field: 'price_usd', says: 'cannot parse "Infinity"' },
  { what: 'NaN', text: `${H}\n2024-01-01,1,NaN,2,3\n`, error: SchemaError, line: 2, field: 'market_cap', says: 'cannot parse "NaN"' },
  { what: 'a hexadecimal number', text: `${H}\n2024-01-01,0x10,1,2,3\n`, error: SchemaError, line: 2, field: 'price_usd', says: 'cannot parse "0x10"' },
  { what: 'a decimal comma', text: `${H}\n2024-01-01,"1,5",1,2,3\n`, error: SchemaError, line: 2, field: 'price_usd', says: 'cannot parse "1,5"' },
  { what: 'a float32 overflow', text: `${H}\n2024-01-01,1e39,1,2,3\n`, error: SchemaError, line: 2, field: 'price_usd', says: 'outside the float32 range' },
  { what: 'an impossible date', text: `${H}\n2024-02-30,1,1,2,3\n`, error: SchemaError, line: 2, field: 'timestamp', says: 'cannot parse "2024-02-30" as a UTC timestamp' },
  { what: 'an error after a multi-line quoted field (physical line)', notes: true, text: `timestamp,note\n2024-01-01,"a\nb"\n2024-01-02,"x"\nbad,1\n`, error: SchemaError, line: 5, field: 'timestamp', says: 'cannot parse "bad"' },
  { what: 'a quote inside an unquoted field', text: `${H}\n2024-01-01,1"2,2,3,4\n`, error: CsvError, line: 2, says: 'Invalid Opening Quote' },
  // csv-parse reports where it gave up (the end of the file), not the line with the opening quote
  { what: 'a quote never closed', text: `${H}\n2024-01-01,1,2,3,4\n2024-01-02,"1,2,3,4\n2024-01-03,1,2,3,4\n`, error: CsvError, lines: [3, 4], says: 'Quote Not Closed' },
  { what: 'a semicolon-separated file', text: `timestamp;price_usd;market_cap\n2024-01-01;1;2\n`, error: CsvError, line: 1, says: 'unrecognised header' },
  { what: 'UTF-16 without a BOM', text: Buffer.from(`${H}\n2024-01-01,1,2,3,4\n`, 'utf16le'), error: CsvError, line: 1, says: 'unrecognised header' },
  { what: 'a header naming a column twice', text: 'timestamp,price_usd,price_usd,market_cap\n', error: CsvError, line: 1, says: 'unrecognised header' },
  { what: 'an empty file', text: '', error: CsvError, says: 'the file is empty' },
];

describe('reliability: hostile CSV input', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();

  async function storeRows(store: string, notes: boolean): Promise<Row[]> {
    const cols = notes ? 'epoch_ms(timestamp) AS t, note' : 'epoch_ms(timestamp) AS t, price_usd, market_cap, price_change_24h, total_volume';
    const rows = await duck(`SELECT ${cols} FROM read_parquet(${lit(join(store, 'part-*.parquet'))}) ORDER BY timestamp`);
    return rows.map((r) => Object.values(r).map((v) => (typeof v === 'bigint' ? Number(v) : (v as number | string | null))));
  }

  /**
   * The rows of a CSV as DuckDB's `read_csv` splits it (an independent parser of quoting, separators and line
   * ends), each field converted by JavaScript's own `Date.parse` and `Number`, floats stored as float32
   * rounded like the store's: what the store must hold.
   */
  async function duckCsvRows(csv: string): Promise<Row[]> {
    const rows = await duck(`SELECT * FROM read_csv(${lit(csv)}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`);
    const num = (v: unknown, f32: boolean) => (v === null || v === '' ? null : f32 ? Math.fround(Number(v)) : Number(v));
    return rows
      .map((r) => [Date.parse(String(r.timestamp)), num(r.price_usd, true), num(r.market_cap, false), num(r.price_change_24h, true), num(r.total_volume, false)] as Row)
      .sort((a, b) => (a[0] as number) - (b[0] as number));
  }

  for (const c of READ) {
    it(`reads ${c.what}`, async () => {
      const csv = join(tmp(), 'in.csv');
      writeFileSync(csv, c.text);
      const store = join(tmp(), 'store');
      const result = await withinMs(10_000, `importCsv(${c.what})`, importCsv(csv, store, c.notes ? Notes : BitcoinSchema));
      expect(result.numRows).to.equal(c.rows.length);
      const expected = c.notes ? c.rows : c.rows.map((r) => r.map((v, i) => (i === 1 || i === 3) && typeof v === 'number' ? Math.fround(v) : v));
      expect(await storeRows(store, !!c.notes)).to.deep.equal(expected);
      reliabilityCounts.add('hostile.csv.inputs', 1);
    });
  }

  for (const c of REFUSED) {
    it(`refuses ${c.what}, naming file${c.line || c.lines ? ', line' : ''}${c.field ? ' and field' : ''}`, async () => {
      const csv = join(tmp(), 'in.csv');
      writeFileSync(csv, c.text);
      const err = (await withinMs(10_000, `importCsv(${c.what})`, importCsv(csv, join(tmp(), 'store'), c.notes ? Notes : BitcoinSchema)).then(
        () => expect.fail('importCsv accepted the file'),
        (e: unknown) => e,
      )) as CsvError & SchemaError;
      expect(err, String(err)).to.be.instanceOf(c.error);
      expect(err.file).to.equal(csv);
      expect(err.message).to.contain(c.says);
      if (c.line !== undefined) {
        expect(err.line).to.equal(c.line);
        expect(err.message).to.contain(`${csv}:${c.line}:`);
      }
      if (c.lines) expect(c.lines).to.include(err.line);
      if (c.field) expect(err.field).to.equal(c.field);
      // nothing was committed
      expect(await openStore(join(tmp(), 'store')).then(() => 'store', () => 'none')).to.equal('none');
      reliabilityCounts.add('hostile.csv.inputs', 1);
    });
  }

  it('with skipInvalid writes exactly the good lines and reports each bad one by line', async () => {
    const csv = join(tmp(), 'in.csv');
    writeFileSync(csv, `${H}\r\n2024-01-01,1,2,3,4\r\n2024-01-02,1,2,3\r\n2024-01-03,x,2,3,4\r\n2024-01-04,1,2,,\r\n2024-02-30,1,2,3,4\r\n2024-01-06,1,2,3,4\r\n`);
    const r = await importCsv(csv, join(tmp(), 'store'), BitcoinSchema, { skipInvalid: true });
    expect(r.numRows).to.equal(3);
    expect(r.skippedLines.map((s) => s.line)).to.deep.equal([3, 4, 6]);
    expect((await storeRows(join(tmp(), 'store'), false)).map((row) => row[0])).to.deep.equal([T('2024-01-01'), T('2024-01-04'), T('2024-01-06')]);
  });

  it('fuzz: 200 seeded mutations of a good CSV are read (as DuckDB read_csv reads them) or refused with file and line, each within 10 s', async () => {
    const good = readGoodCsv();
    const rng = mulberry32(4_242);
    const outcomes = { read: 0, refused: 0, comparedWithDuckDb: 0 };
    for (let k = 0; k < 200; k++) {
      const bytes = mutate(good, rng);
      const csv = join(tmp(), `fuzz-${k}.csv`);
      writeFileSync(csv, bytes);
      const store = join(tmp(), `fuzz-${k}`);
      const skipInvalid = k % 2 === 1;
      const physicalLines = bytes.toString('latin1').split(/\r\n|\r|\n/).length;
      try {
        const r = await withinMs(10_000, `importCsv of fuzz case ${k}`, importCsv(csv, store, BitcoinSchema, { skipInvalid }));
        expect((await openStore(store)).numRows, `fuzz case ${k}`).to.equal(r.numRows);
        if (!skipInvalid) {
          // every line was accepted: DuckDB's CSV reader must find the same rows, value for value
          expect(r.numRows === 0 ? [] : await storeRows(store, false), `fuzz case ${k}: the store against DuckDB's read_csv of ${csv}`).to.deep.equal(await duckCsvRows(csv));
          outcomes.comparedWithDuckDb++;
        }
        outcomes.read++;
      } catch (err) {
        const e = err as CsvError & SchemaError;
        expect(isTfplError(err) && (err instanceof CsvError || err instanceof SchemaError), `fuzz case ${k}: ${String((err as Error)?.stack ?? err)}`).to.equal(true);
        expect(e.file, `fuzz case ${k}`).to.equal(csv);
        expect(e.message).to.contain(csv);
        if (!(err instanceof CsvError && /file is empty/.test(e.message))) {
          expect(e.line, `fuzz case ${k}: ${e.message}`).to.be.a('number');
          // csv-parse reports an unclosed quote at the line after the end of the file, not where the quote opened
          const last = /Quote Not Closed/.test(e.message) ? physicalLines + 1 : physicalLines;
          expect(e.line, `fuzz case ${k}: ${e.message}`).to.be.within(1, last);
        }
        outcomes.refused++;
      }
    }
    reliabilityCounts.add('hostile.csv.fuzzCases', 200);
    reliabilityCounts.add('hostile.csv.inputs', 200);
    expect(outcomes.read + outcomes.refused).to.equal(200);
    // the mutations are strong enough to break many files, and mild enough to leave some readable
    expect(outcomes.refused).to.be.greaterThan(20);
    expect(outcomes.read).to.be.greaterThan(20);
    expect(outcomes.comparedWithDuckDb).to.be.greaterThan(10);
    reliabilityCounts.add('hostile.csv.fuzzAcceptedComparedWithDuckDb', outcomes.comparedWithDuckDb);
  });

  describe('the collector CSV sink on existing files', () => {
    const row = (iso: string) => ({ timestamp: T(iso), price_usd: 1, market_cap: 2, price_change_24h: null, total_volume: null });

    it('continues a CRLF file after its last timestamp', async () => {
      const csv = join(tmp(), 'c.csv');
      writeFileSync(csv, `${H}\r\n2024-01-01T00:00:00.000Z,1,2,3,4\r\n`);
      const sink = await CsvRowSink.open(csv);
      expect(await sink.lastTimestamp()).to.equal(T('2024-01-01T00:00:00Z'));
      await sink.append([row('2024-01-01T01:00:00Z')]);
      expect(readFileSync(csv, 'utf8')).to.equal(`${H}\r\n2024-01-01T00:00:00.000Z,1,2,3,4\r\n2024-01-01T01:00:00.000Z,1,2,,\n`);
    });

    it('refuses a file with a BOM, another header or a last line that is not a row, naming the file', async () => {
      for (const [text, says] of [
        [`\uFEFF${H}\n`, 'header must be'],
        [`a,b\n1,2\n`, 'header must be'],
        [`${H}\n2024-01-01T00:00:00.000Z,1,2,3,4\nhello,world\n`, 'last line does not start with an ISO-8601 timestamp'],
      ] as const) {
        const csv = join(tmp(), 'c.csv');
        writeFileSync(csv, text);
        const err = (await CsvRowSink.open(csv).catch((e: unknown) => e)) as CsvError;
        expect(err).to.be.instanceOf(CsvError);
        expect(err.file).to.equal(csv);
        expect(err.message).to.contain(says);
        reliabilityCounts.add('hostile.csv.inputs', 1);
      }
    });

    // Regression test (fixed in f29c26c): a CSV ending with an empty line used to open with lastTimestamp()
    // === null, so the sink accepted older rows and backfill restarted from the beginning.
    it('keeps the last timestamp of a file that ends with a blank line', async () => {
      const csv = join(tmp(), 'c.csv');
      writeFileSync(csv, `${H}\n2024-01-01T00:00:00.000Z,1,2,3,4\n\n`);
      const sink = await CsvRowSink.open(csv);
      expect(await sink.lastTimestamp()).to.equal(T('2024-01-01T00:00:00Z'));
      const err = await sink.append([row('2023-01-01T00:00:00Z')]).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CsvError);
    });
  });
});

/** A small good CSV in the collector's layout, with quotes, CRLF and empty nullable values to mutate. */
function readGoodCsv(): Buffer {
  const lines = [H];
  for (let i = 0; i < 12; i++) {
    const ts = new Date(Date.UTC(2024, 0, 1, i)).toISOString();
    const change = i % 3 === 0 ? '' : String((i % 7) - 3.25);
    const vol = i % 4 === 0 ? '' : `${1.5 + i}e10`;
    lines.push(i % 5 === 0 ? `"${ts}","${40_000 + i * 0.5}",${8e11 + i},${change},${vol}` : `${ts},${40_000 + i * 0.5},${8e11 + i},${change},${vol}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`);
}

const INSERTS = [',', '"', '\n', '\r', '\0', ' ', 'e', '-', '.', 'x'].map((c) => c.charCodeAt(0)).concat([0xe9, 0xff, 0xc3, 0xef, 0xbb, 0xbf]);

/** One to three seeded mutations: flip, insert, delete a byte, truncate, duplicate or drop a line. */
function mutate(input: Buffer, rng: () => number): Buffer {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(rng() * 3);
  for (let m = 0; m < n; m++) {
    const at = Math.floor(rng() * b.length);
    const kind = Math.floor(rng() * 6);
    if (kind === 0) b[at] = Math.floor(rng() * 256);
    else if (kind === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from([INSERTS[Math.floor(rng() * INSERTS.length)]!]), b.subarray(at)]);
    else if (kind === 2) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (kind === 3) b = b.subarray(0, at);
    else {
      const lines = b.toString('latin1').split('\r\n');
      const i = 1 + Math.floor(rng() * Math.max(1, lines.length - 2));
      if (kind === 4) lines.splice(i, 0, lines[i] ?? '');
      else lines.splice(i, 1);
      b = Buffer.from(lines.join('\r\n'), 'latin1');
    }
  }
  return b;
}
