import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { parquetPlan } from 'hyparquet/src/plan.js';
import { openStore } from '../../src/index.js';
import { columnSpecOf } from '../../src/readers/column-spec.js';
import { answerDecodeRequest, type DecodeRequest } from '../../src/readers/decode-message.js';
import { type DecodedRowGroup, type DecodeTask, decodeRowGroup } from '../../src/readers/decode-row-group.js';
import { type DecodeThread, type DecodeThreadEvents, ThreadDecodePool } from '../../src/readers/thread-decode-pool.js';
import { ParquetReadError } from '../../src/store/parquet-read-error.js';
import { useBtcStore } from './fixtures.js';

/** Row group 0 of the store's one part as the loader would send it: price_usd and timestamp, the chunks' bytes fetched. */
async function taskOf(dir: string): Promise<DecodeTask> {
  const store = await openStore(dir);
  const file = readdirSync(dir).find((f) => f.endsWith('.parquet'))!;
  const bytes = readFileSync(join(dir, file));
  const footer = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const metadata = { ...footer, row_groups: [footer.row_groups[0]!], num_rows: footer.row_groups[0]!.num_rows };
  const columns = ['timestamp', 'price_usd'];
  const { fetches } = parquetPlan({ metadata, columns } as never) as { fetches: { startByte: number; endByte: number }[] };
  return {
    file,
    rowGroup: 0,
    fileByteLength: bytes.length,
    metadata,
    columns,
    specs: columns.map((c) => columnSpecOf(c, footer.schema.find((e) => e.name === c) ?? null, store.fields.find((f) => f.name === c), undefined)),
    fetches,
    buffers: fetches.map((f) => new Uint8Array(bytes.subarray(f.startByte, f.endByte)).buffer),
    verifyChecksums: true,
    maxPageBytes: 16 * 2 ** 20,
  };
}

/** A decode thread on this thread: answers like a worker (asynchronously), or fails when told to. */
function fakeThread(plan: { start: 'ready' | 'fail' | 'silent'; dieOnTask?: boolean }, log: string[]) {
  return (events: DecodeThreadEvents): DecodeThread => {
    log.push('spawn');
    setTimeout(() => (plan.start === 'ready' ? events.message({ ready: true }) : plan.start === 'fail' ? events.failure('failed: the worker script did not load') : undefined), 5);
    return {
      postMessage(msg) {
        log.push('post');
        if (plan.dieOnTask) setTimeout(() => events.failure('exited with code 1'), 5);
        else void answerDecodeRequest(msg as DecodeRequest).then(({ reply }) => events.message(reply));
      },
      ref: () => {},
      unref: () => {},
      terminate: () => void log.push('terminate'),
    };
  };
}

/** Past the 5 ms after which a fake thread says it is ready. */
const threadReady = () => new Promise((resolve) => setTimeout(resolve, 30));

/** Row-group tasks read no bytes through the pool. */
const noBytes = () => Promise.reject(new Error('no column is read by cursor here'));

const values = (r: DecodedRowGroup) => Array.from(r.columns.price_usd as Float32Array);

describe('ThreadDecodePool: decode threads behind one seam', function () {
  this.timeout(60_000);
  const store = useBtcStore(2_000, 500, 2_000);
  let expected: number[];
  const warnings: string[] = [];
  const warn = console.warn;
  before(async () => {
    expected = values(await decodeRowGroup(await taskOf(store())));
    expect(expected.slice(0, 3)).to.deep.equal([0, 1, 2]);
  });
  beforeEach(() => {
    warnings.length = 0;
    console.warn = (msg: string) => void warnings.push(msg);
  });
  afterEach(() => {
    console.warn = warn;
  });

  it('decodes on the calling thread while its thread loads, then sends tasks to the thread and hands back its columns', async () => {
    const log: string[] = [];
    const pool = new ThreadDecodePool(1, fakeThread({ start: 'ready' }, log), noBytes);
    const first = await taskOf(store());
    pool.start();
    // The thread says it is ready after 5 ms: a task before that does not wait for it.
    expect(values(await pool.run(first))).to.deep.equal(expected);
    expect(log).to.deep.equal(['spawn']);
    await threadReady();
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    expect(log).to.deep.equal(['spawn', 'post', 'post']);
    expect([pool.fallbackReason, warnings]).to.deep.equal([null, []]);
    await pool.close();
    expect(log.at(-1)).to.equal('terminate');
  });

  it('decodes on the calling thread, once warned, when threads cannot be created at all', async () => {
    const pool = new ThreadDecodePool(
      2,
      () => {
        throw new Error('this environment has no Web Workers');
      },
      noBytes,
    );
    pool.start();
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    expect(pool.fallbackReason).to.equal('this environment has no Web Workers');
    expect(warnings).to.deep.equal(['tfjs-parquet-loader: decode threads could not start (this environment has no Web Workers); decoding on the calling thread']);
  });

  it('decodes on the calling thread when a thread dies before it is ready: its bytes were never handed over', async () => {
    const log: string[] = [];
    const pool = new ThreadDecodePool(1, fakeThread({ start: 'fail' }, log), noBytes);
    pool.start();
    const tasks = await Promise.all([taskOf(store()), taskOf(store())]);
    await threadReady();
    const results = await Promise.all(tasks.map((t) => pool.run(t)));
    expect(results.map(values)).to.deep.equal([expected, expected]);
    expect(log).to.deep.equal(['spawn']); // nothing was posted to the dead thread
    expect(pool.fallbackReason).to.equal('failed: the worker script did not load');
    expect(warnings).to.have.length(1);
  });

  it('stops its threads once idle (a reader left before its end never closes its pool), and starts them again for the next task', async () => {
    const log: string[] = [];
    const pool = new ThreadDecodePool(2, fakeThread({ start: 'ready' }, log), noBytes, 60);
    pool.start();
    await threadReady();
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    expect(pool.liveWorkers).to.equal(2);
    // Busy again before the idle time is up: nothing stops.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    expect(log.filter((l) => l === 'terminate')).to.have.length(0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(pool.liveWorkers).to.equal(0);
    expect(log.filter((l) => l === 'terminate')).to.have.length(2);
    // Stopped by the pool, not failed: no fallback to the calling thread, and the next tasks get a thread again.
    expect([pool.fallbackReason, warnings]).to.deep.equal([null, []]);
    const first = await taskOf(store());
    expect(values(await pool.run(first))).to.deep.equal(expected);
    await threadReady();
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    expect(log.filter((l) => l === 'spawn')).to.have.length(4);
    expect(log.at(-1)).to.equal('post');
    await pool.close();
  });

  it('fails only the task of a thread that dies after it started, and starts a new thread for the next', async () => {
    const log: string[] = [];
    let spawned = 0;
    const pool = new ThreadDecodePool(1, (events) => fakeThread({ start: 'ready', dieOnTask: spawned++ === 0 }, log)(events), noBytes);
    pool.start();
    await threadReady();
    const err = await pool.run(await taskOf(store())).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ParquetReadError);
    expect((err as Error).message).to.match(/row group 0.*decode worker exited with code 1/);
    // The replacement is still loading: the next task is decoded here, and the one after it by the new thread.
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    await threadReady();
    expect(values(await pool.run(await taskOf(store())))).to.deep.equal(expected);
    expect(log).to.deep.equal(['spawn', 'post', 'spawn', 'post']);
    expect(pool.fallbackReason).to.equal(null);
  });
});
