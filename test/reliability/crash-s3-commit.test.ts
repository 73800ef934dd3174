import { expect } from 'chai';
import { materializeDataset } from '../../src/materialize/materialize.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { openStore } from '../../src/store/open-store.js';
import { s3Location } from '../../src/store/s3/s3-location.js';
import { S3RVER_KEY, startS3Proxy, startS3rver, type S3TestProxy, type S3TestServer } from '../s3-server.js';
import { ScriptChild } from './child-process.js';
import { CrashSchema, crashRows } from './fixtures/crash-rows.js';

const URL_ = 's3://data/crash';
const CALL_ROWS = 300;

/** The rows of the store, checked: exactly rows 0..n-1 of the crash harness, each once, in order. */
async function rowsOf(io: object): Promise<number> {
  const store = await openStore(URL_, io);
  const caps: number[] = [];
  for await (const b of await makeBatchReader(store, { workers: 0, columns: ['market_cap'] })) caps.push(...(b.columns.market_cap as Float64Array));
  expect(caps, 'the rows are 0..n-1 in order').to.deep.equal(Array.from({ length: caps.length }, (_, i) => i));
  return caps.length;
}

describe('reliability: an object-store commit killed before and after each of its requests', function () {
  this.timeout(300_000);
  let s3: S3TestServer;
  let honouring: S3TestProxy;
  let io: { s3: { endpoint: string; credentials: typeof S3RVER_KEY }; retry: { attempts: number } };

  before(async () => {
    s3 = await startS3rver({ buckets: ['data'] });
    honouring = await startS3Proxy(s3.endpoint, { conditional: true });
    io = { s3: { endpoint: honouring.endpoint, credentials: S3RVER_KEY }, retry: { attempts: 1 } };
    await materializeDataset(URL_, CrashSchema, crashRows(0, 1_000), { rowGroupSize: 100, compression: 'snappy', ...io });
  });
  after(async () => {
    await honouring?.close();
    await s3?.close();
  });

  /** Runs the append child through a proxy that kills it when request `k` arrives (before) or once it was answered (after). */
  async function appendKilledAt(k: number, when: 'before' | 'after' | 'never', from: number): Promise<{ requests: number; committed: boolean }> {
    let child: ScriptChild | undefined;
    const killer = await startS3Proxy(honouring.endpoint, {
      intercept: (_req, index) => {
        if (when === 'before' && index === k) {
          child?.kill();
          return { status: 503, body: 'killed' };
        }
        return undefined;
      },
      answered: (index) => {
        if (when === 'after' && index === k) child?.kill();
      },
    });
    try {
      child = await ScriptChild.start('s3-append-child.ts', [URL_, killer.endpoint, String(from), String(CALL_ROWS)]);
      const exit = await child.exited;
      const committed = child.lines.some((l) => l.startsWith('committed'));
      if (when === 'never') expect(exit.code, child.stderr).to.equal(0);
      return { requests: killer.seen.length, committed };
    } finally {
      await killer.close();
    }
  }

  it('leaves the store before the call or after it, never a mix; the next commit removes what the killed ones left', async () => {
    let rows = await rowsOf(io);
    expect(rows).to.equal(1_000);
    // One clean call: how many requests an append makes (its store read, probe, parts, commit, cleanup).
    const clean = await appendKilledAt(-1, 'never', rows);
    expect(clean.committed).to.equal(true);
    rows = await rowsOf(io);
    expect(rows).to.equal(1_000 + CALL_ROWS);
    const n = clean.requests;
    expect(n).to.be.at.least(6);

    const outcomes = { before: 0, after: 0 };
    for (let k = 0; k < n; k++) {
      for (const when of ['before', 'after'] as const) {
        const was = rows;
        await appendKilledAt(k, when, was);
        rows = await rowsOf(io);
        expect([was, was + CALL_ROWS], `killed ${when} request ${k} of ${n}`).to.include(rows);
        outcomes[rows === was ? 'before' : 'after']++;
      }
    }
    console.log(`      an append makes ${n} requests; ${2 * n} kills: ${outcomes.before} left the store before the call, ${outcomes.after} after it`);
    // Kills landed on both sides of the commit.
    expect(outcomes.before).to.be.greaterThan(0);
    expect(outcomes.after).to.be.greaterThan(0);

    // A clean commit then removes every part no commit lists: the bucket holds exactly the store's parts.
    await materializeDataset(URL_, CrashSchema, crashRows(rows, CALL_ROWS), { mode: 'append', rowGroupSize: 100, compression: 'snappy', ...io });
    expect(await rowsOf(io)).to.equal(rows + CALL_ROWS);
    const store = await openStore(URL_, io);
    const parts = (await s3Location(URL_, { s3: io.s3 }).listAll()).map((o) => o.path).filter((p) => p.endsWith('.parquet'));
    expect(parts.sort()).to.deep.equal(store.files.map((f) => f.path).sort());
  });
});
