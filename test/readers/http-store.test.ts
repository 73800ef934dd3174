import { expect } from 'chai';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { ParquetReadError } from '../../src/store/parquet-read-error.js';
import { sharedData } from '../shared-data.js';
import { collect, useBtcStore } from './fixtures.js';
import { startStaticServer } from '../static-server.js';

const ROWS = 10_000;

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

describe('HTTP stores', function () {
  this.timeout(60_000);
  const store = useBtcStore(ROWS, 1_000, 5_000);

  it('reads a store over HTTP Range requests, fetching only footers and the needed column chunks', async () => {
    const server = await startStaticServer(store(), true);
    try {
      const all = await makeBatchReader(`${server.url}/`, { workers: 0 });
      const batches = await collect(all);
      expect(batches.reduce((s, b) => s + b.numRows, 0)).to.equal(ROWS);
      expect(Array.from((batches[9]!.columns.price_usd as Float32Array).subarray(0, 3))).to.deep.equal([9_000, 9_001, 9_002]);
      expect(all.fetchStats!.bytesFetched).to.equal(server.log.bytesSent);
      expect(all.fetchStats!.bytesFetched).to.be.lessThan(dirBytes(store()));
      expect(server.log.requests.every((r) => r.method === 'HEAD' || r.range !== undefined)).to.equal(true);

      server.log.bytesSent = 0;
      const one = await makeBatchReader(`${server.url}/`, { workers: 1, columns: ['price_usd'], filters: [['price_usd', '<', 2_000]] });
      const b2 = await collect(one);
      expect(b2.map((b) => b.numRows)).to.deep.equal([1_000, 1_000]);
      expect(one.stats.rowGroupsRead).to.equal(2);
      expect(one.fetchStats!.bytesFetched).to.equal(server.log.bytesSent);
      // Footers (_metadata, _common_metadata) plus two chunks of one column: a small part of the column data.
      expect(one.stats.bytesRead).to.be.lessThan(all.stats.bytesRead / 10);
    } finally {
      await server.close();
    }
  });

  it('reads the Petastorm stores over HTTP using the file list in _common_metadata', async function () {
    const legacy = sharedData(this, 'petastorm-legacy');
    const server = await startStaticServer(legacy, true);
    try {
      const reader = await makeBatchReader(`${server.url}/0.7.6`, { workers: 0, columns: ['id', 'partition_key'] });
      const batches = await collect(reader);
      expect(batches.reduce((s, b) => s + b.numRows, 0)).to.equal(100);
      expect(reader.store.writer).to.equal('petastorm');
    } finally {
      await server.close();
    }
  });

  it('gives a clear ParquetReadError (not a crash) when the server ignores Range, or downloads whole files when asked', async () => {
    const server = await startStaticServer(store(), false);
    try {
      let err: unknown;
      try {
        await collect(await makeBatchReader(`${server.url}/`, { workers: 0 }));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ParquetReadError);
      expect((err as Error).message).to.match(/does not support HTTP Range requests.*rangeFallback: 'download'/);
      const reader = await makeBatchReader(`${server.url}/`, { workers: 0, rangeFallback: 'download', columns: ['price_usd'] });
      const batches = await collect(reader);
      expect(batches.reduce((s, b) => s + b.numRows, 0)).to.equal(ROWS);
    } finally {
      await server.close();
    }
  });

  it('never hangs: a server that stops answering, or stops halfway through a body, fails after retry.attempts tries of fetchTimeoutMs each, naming the file and range', async () => {
    for (const [midBody, expected] of [
      [false, /HTTP GET bytes \d+-\d+ got no answer within 300 ms \(fetchTimeoutMs\); gave up after 3 attempts/],
      [true, /HTTP GET bytes \d+-\d+ did not finish within 300 ms \(the answer stopped halfway; fetchTimeoutMs\); gave up after 3 attempts/],
    ] as const) {
      // HEAD and the footer read of _metadata and the parts' HEADs answer; nothing after them does.
      const server = await startStaticServer(store(), true, { stallAfter: { requests: 4, midBody } });
      try {
        const retry = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 30_000 };
        const err = await collect(await makeBatchReader(`${server.url}/`, { workers: 0, fetchTimeoutMs: 300, retry, readAhead: { requests: 1 }, prefetch: 1 })).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(ParquetReadError);
        expect((err as ParquetReadError).message, (err as Error).message).to.match(expected);
        expect((err as ParquetReadError).message).to.include(`${server.url}/`);
        // The four requests that were answered (HEAD and footer of _metadata, HEAD of each part), then three
        // tries of the first part's footer (checked against _metadata) and, read beside it through the one
        // request slot, three of its first column chunk: no more.
        expect(server.log.requests.length).to.equal(4 + 3 + 3);
        expect(server.log.requests.slice(4).map((r) => r.method)).to.deep.equal(['GET', 'GET', 'GET', 'GET', 'GET', 'GET']);
      } finally {
        await server.close();
      }
    }
  });

  it('names the URL and the cause when the store is unreachable', async () => {
    const server = await startStaticServer(store(), true);
    const url = `${server.url}/`;
    await server.close();
    const err = await makeBatchReader(url, { workers: 0 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ParquetReadError);
    expect((err as Error).message).to.match(/HTTP HEAD failed: could not reach http:\/\/127\.0\.0\.1:\d+\/_metadata \(ECONNREFUSED\); check the URL and that the server is running/);
  });

  it('needs options.files for a plain Parquet folder over HTTP, and reads a single file URL', async function () {
    const data = sharedData(this, 'parquet-testing', 'data');
    const server = await startStaticServer(data, true);
    try {
      let err: unknown;
      try {
        await makeBatchReader(`${server.url}/`, { workers: 0 });
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).to.match(/pass the data files as the files option, or write summary files with `tfpl metadata`/);
      const listed = await makeBatchReader(`${server.url}/`, { workers: 0, files: ['alltypes_plain.parquet', 'alltypes_dictionary.parquet'] });
      expect((await collect(listed)).reduce((s, b) => s + b.numRows, 0)).to.equal(10);
      const single = await makeBatchReader(`${server.url}/byte_stream_split.zstd.parquet`, { workers: 0 });
      expect((await collect(single)).reduce((s, b) => s + b.numRows, 0)).to.equal(300);
    } finally {
      await server.close();
    }
  });
});
