import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsvError } from '../../src/errors.js';
import { CsvRowSink } from '../../src/ingest/csv-sink.js';
import { CSV_HEADER, formatCsvRow, type PriceRow } from '../../src/ingest/price-row.js';

const row = (timestamp: number, price = 1.5): PriceRow => ({ timestamp, price_usd: price, market_cap: 2e12, price_change_24h: null, total_volume: 0.1 + 0.2 });

describe('CsvRowSink', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfpl-csv-sink-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('formats rows as ISO-8601 UTC, String(n) numbers and empty nulls', () => {
    expect(CSV_HEADER).to.equal('timestamp,price_usd,market_cap,price_change_24h,total_volume');
    expect(formatCsvRow({ timestamp: 1711356300000, price_usd: 67187.3358936566, market_cap: 1317802988326.25, price_change_24h: -3.63727894677354, total_volume: null })).to.equal(
      '2024-03-25T08:45:00.000Z,67187.3358936566,1317802988326.25,-3.63727894677354,',
    );
    expect(formatCsvRow(row(0))).to.equal('1970-01-01T00:00:00.000Z,1.5,2000000000000,,0.30000000000000004');
  });

  it('writes the header to a new file (and folder) and appends rows', async () => {
    const path = join(dir, 'new', 'a.csv');
    const sink = await CsvRowSink.open(path);
    expect(await sink.lastTimestamp()).to.equal(null);
    await sink.append([row(1000), row(2000)]);
    await sink.append([]);
    await sink.append([row(3000)]);
    expect(readFileSync(path, 'utf8')).to.equal(`${CSV_HEADER}\n${[row(1000), row(2000), row(3000)].map(formatCsvRow).join('\n')}\n`);
    expect(await sink.lastTimestamp()).to.equal(3000);
  });

  it('reads the last timestamp of a file larger than its tail buffer when reopened', async () => {
    const path = join(dir, 'big.csv');
    const first = await CsvRowSink.open(path);
    await first.append(Array.from({ length: 500 }, (_, i) => row(Date.UTC(2021, 0, 1) + i * 3_600_000, 30000 + i / 7)));
    const again = await CsvRowSink.open(path);
    expect(await again.lastTimestamp()).to.equal(Date.UTC(2021, 0, 1) + 499 * 3_600_000);
  });

  it('refuses rows at or before the last stored timestamp', async () => {
    const path = join(dir, 'b.csv');
    const sink = await CsvRowSink.open(path);
    await sink.append([row(2000)]);
    let error: unknown;
    try {
      await sink.append([row(3000), row(2000)]);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(CsvError);
    expect((error as Error).message).to.equal('CsvRowSink.append: timestamps must increase; 1970-01-01T00:00:02.000Z is not after 1970-01-01T00:00:03.000Z');
    expect(readFileSync(path, 'utf8').trim().split('\n')).to.have.length(2);
  });

  it('cuts a torn last line left by a crash and resumes after the last complete row', async () => {
    const path = join(dir, 'torn.csv');
    writeFileSync(path, `${CSV_HEADER}\n${formatCsvRow(row(1000))}\n`);
    appendFileSync(path, '1970-01-01T00:00:02.000Z,1.');
    const events: string[] = [];
    const sink = await CsvRowSink.open(path, (e) => events.push(`${e.reason}`));
    expect(await sink.lastTimestamp()).to.equal(1000);
    expect(events).to.deep.equal(['torn-line']);
    await sink.append([row(2000)]);
    expect(readFileSync(path, 'utf8')).to.equal(`${CSV_HEADER}\n${formatCsvRow(row(1000))}\n${formatCsvRow(row(2000))}\n`);
  });

  it('passes over trailing blank lines, CRLF endings and a quoted timestamp when finding the last row', async () => {
    const cases: Array<[string, number | null]> = [
      [`${CSV_HEADER}\n${formatCsvRow(row(1000))}\n\n`, 1000],
      [`${CSV_HEADER}\n${formatCsvRow(row(1000))}\n \n\r\n\n`, 1000],
      [`${CSV_HEADER}\r\n${formatCsvRow(row(1000))}\r\n${formatCsvRow(row(2000))}\r\n`, 2000],
      [`${CSV_HEADER}\n"1970-01-01T00:00:03.000Z","1.5",2,,3\n`, 3000],
      [`${CSV_HEADER}\n\n\n`, null],
      [`${CSV_HEADER}\n${formatCsvRow(row(5000))}\n${'\n'.repeat(10_000)}`, 5000],
    ];
    for (const [i, [text, last]] of cases.entries()) {
      const path = join(dir, `blank-${i}.csv`);
      writeFileSync(path, text);
      const sink = await CsvRowSink.open(path);
      expect(await sink.lastTimestamp(), JSON.stringify(text.slice(0, 120))).to.equal(last);
      if (last !== null) {
        let error: unknown;
        await sink.append([row(last)]).catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(CsvError);
      }
    }
  });

  it('rewrites a torn header and rejects a file with another header', async () => {
    const torn = join(dir, 'torn-header.csv');
    writeFileSync(torn, 'timestamp,price_u');
    expect(await (await CsvRowSink.open(torn)).lastTimestamp()).to.equal(null);
    expect(readFileSync(torn, 'utf8')).to.equal(`${CSV_HEADER}\n`);

    const other = join(dir, 'other.csv');
    writeFileSync(other, 'snapped_at,price,market_cap,total_volume\n2013-04-28 00:00:00 UTC,135.3,1500517590,0\n');
    let error: unknown;
    try {
      await CsvRowSink.open(other);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(CsvError);
    expect((error as CsvError).message).to.contain('found "snapped_at,price,market_cap,total_volume"');
    expect((error as CsvError).line).to.equal(1);
  });
});
