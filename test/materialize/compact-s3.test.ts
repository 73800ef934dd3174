import { expect } from 'chai';
import { join } from 'node:path';
import { compactStore, openStore } from '../../src/index.js';
import { s3Location } from '../../src/store/s3/s3-location.js';
import { runCli } from '../cli/run-cli.js';
import { MarketReplay } from '../ingest/market-replay.js';
import { ReplayServer } from '../ingest/replay-server.js';
import { S3RVER_KEY, startS3Proxy, startS3rver, type S3TestProxy, type S3TestServer } from '../s3-server.js';
import { useTmpDir } from '../tmp-dir.js';
import { sdkRows, sortedBySeries } from './fixtures/market-ticks.js';

const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 5_000 };

describe('compaction of an s3:// store (s3rver on 127.0.0.1, conditional writes as AWS does them)', function () {
  this.timeout(60_000);
  const tmp = useTmpDir();
  let s3: S3TestServer;
  let honouring: S3TestProxy;
  let io: { s3: { endpoint: string; credentials: typeof S3RVER_KEY }; retry: typeof FAST_RETRY };

  before(async () => {
    s3 = await startS3rver({ buckets: ['data'] });
    honouring = await startS3Proxy(s3.endpoint, { conditional: true });
    io = { s3: { endpoint: honouring.endpoint, credentials: S3RVER_KEY }, retry: FAST_RETRY };
  });
  after(async () => {
    await honouring?.close();
    await s3?.close();
  });

  it('tfpl ingest --store s3:// compacts in the background while it appends; compactStore keeps replaced objects for the retention, then removes them', async () => {
    const server = await ReplayServer.start();
    const replay = new MarketReplay(server, 1_711_356_300);
    const url = 's3://data/live';
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_CONFIG_FILE: join(tmp(), 'none'), AWS_SHARED_CREDENTIALS_FILE: join(tmp(), 'none') });
    delete process.env.AWS_PROFILE;
    const ingest = (count: string, compactAfter: string) => runCli(['ingest', '--store', url, '--ids', 'bitcoin,ethereum', '--vs', 'usd,eur', '--interval', '0.4', '--count', count, '--compact-after', compactAfter, '--endpoint-url', honouring.endpoint, '--base-url', server.baseUrl, '--calls-per-minute', '600000']);
    let cli: Awaited<ReturnType<typeof runCli>>;
    let more: Awaited<ReturnType<typeof runCli>>;
    try {
      cli = await ingest('8', '3');
      // One more tick, not compacted: whatever the background compactions left, the store ends in small parts to compact below.
      more = await ingest('1', '0');
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      await server.close();
    }
    expect(cli.code, cli.stderr).to.equal(0);
    expect(more.code, more.stderr).to.equal(0);
    expect(Number(/; (\d+) compaction\(s\)/.exec(cli.stdout)?.[1])).to.be.at.least(1);
    // Every row served, once, whatever raced: the appends and the compactions commit conditionally.
    expect(sortedBySeries(await sdkRows(url, io))).to.deep.equal(replay.servedRows());

    const t = Date.now();
    const before = await openStore(url, io);
    const r = await compactStore(url, { ...io, now: () => t });
    expect([r.outcome, r.commitGuard, r.after.rows]).to.deep.equal(['compacted', 'conditional', before.numRows]);
    expect([r.after.parts, r.after.rowGroups]).to.deep.equal([1, 1]);
    expect(sortedBySeries(await sdkRows(url, io))).to.deep.equal(replay.servedRows());
    const objects = async () => (await s3Location(url, io).listAll()).map((o) => o.path).filter((p) => p.endsWith('.parquet')).sort();
    const committed = async () => (await openStore(url, io)).files.map((f) => f.path);
    // The replaced objects stay for readers of the older commit, which reads them to the end...
    expect(await objects()).to.include.members(r.replaced);
    expect(sortedBySeries(await sdkRows(before))).to.deep.equal(replay.servedRows());
    // ...until a compaction after the retention removes them: the bucket then holds the committed parts only.
    const later = await compactStore(url, { ...io, now: () => t + 600_000 });
    expect(later.removed).to.include.members(r.replaced);
    expect(await objects()).to.deep.equal((await committed()).sort());
  });
});
