import { expect } from 'chai';
import { ObjectStoreError } from '../../../src/store/s3/s3-errors.js';
import { s3Location } from '../../../src/store/s3/s3-location.js';
import { newFetchStats } from '../../../src/store/remote-request.js';
import { S3RVER_KEY, s3ErrorXml, startS3Proxy, startS3rver, type CannedAnswer, type S3TestProxy, type S3TestServer } from '../../s3-server.js';

const RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 5_000 };
const text = (s: string) => new TextEncoder().encode(s);
const SLOW_DOWN: CannedAnswer = { status: 503, headers: { 'retry-after': '0' }, body: s3ErrorXml('SlowDown', 'Please reduce your request rate.') };

async function caught(p: Promise<unknown>): Promise<ObjectStoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected an ObjectStoreError').to.be.instanceOf(ObjectStoreError);
  return err as ObjectStoreError;
}

describe('s3 retries: transient failures are sent again (signed afresh), refusals are not', function () {
  this.timeout(30_000);
  let s3: S3TestServer;
  let proxy: S3TestProxy;
  /** What the proxy answers itself, by the index of the request it saw; undefined: forward to s3rver. */
  let script: (index: number, method: string) => CannedAnswer | undefined = () => undefined;

  before(async () => {
    s3 = await startS3rver({ buckets: ['data'] });
    proxy = await startS3Proxy(s3.endpoint, { intercept: (req, i) => script(i, req.method ?? 'GET') });
    const setup = s3Location('s3://data/r', { s3: { endpoint: s3.endpoint, credentials: S3RVER_KEY } });
    await setup.putFile('a.parquet', text('0123456789'));
  });
  afterEach(() => {
    script = () => undefined;
  });
  after(async () => {
    await proxy?.close();
    await s3?.close();
  });

  const located = (credentials: { accessKeyId: string; secretAccessKey: string } = S3RVER_KEY) => s3Location('s3://data/r', { s3: { endpoint: proxy.endpoint, credentials }, retry: RETRY, stats: newFetchStats() });

  it('503 SlowDown with Retry-After: 0 to the first two attempts: the third succeeds; stats.retries counts 2', async () => {
    const location = located();
    const from = proxy.seen.length;
    script = (i) => (i < from + 2 ? SLOW_DOWN : undefined);
    expect(await location.client.getRange('r/a.parquet', 2, 6)).to.deep.equal(text('2345'));
    expect(location.stats).to.deep.equal({ requests: 3, retries: 2, bytesFetched: 4, bytesFromCache: 0 });
    const seen = proxy.seen.slice(from);
    expect(seen.map((r) => r.status)).to.deep.equal([503, 503, 206]);
    expect(seen.every((r) => /^AWS4-HMAC-SHA256 Credential=S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request, /.test(String(r.headers.authorization)) && /^\d{8}T\d{6}Z$/.test(String(r.headers['x-amz-date'])))).to.equal(true);
  });

  it('a PUT answered 503 once is sent again with its body, and the object is whole', async () => {
    const location = located();
    const from = proxy.seen.length;
    script = (i) => (i === from ? SLOW_DOWN : undefined);
    await location.putFile('b.parquet', text('retried body'));
    expect([location.stats.requests, location.stats.retries]).to.deep.equal([2, 1]);
    expect(await (await location.open('b.parquet'))!.read(0, 12)).to.deep.equal(text('retried body'));
  });

  it('a body cut short (206 with fewer bytes than asked) is retried', async () => {
    const location = located();
    const from = proxy.seen.length;
    script = (i) => (i === from ? { status: 206, headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-1/10' }, body: '01' } : undefined);
    expect(await location.client.getRange('r/a.parquet', 0, 4)).to.deep.equal(text('0123'));
    expect([location.stats.requests, location.stats.retries]).to.deep.equal([2, 1]);
  });

  it('403 (a wrong secret) is not retried: s3rver saw one request', async () => {
    const location = located({ accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' });
    const from = proxy.seen.length;
    const err = await caught(location.client.getRange('r/a.parquet', 0, 4));
    expect([err.reason, err.status]).to.deep.equal(['signature', 403]);
    expect([proxy.seen.length - from, location.stats.requests, location.stats.retries]).to.deep.equal([1, 1, 0]);
  });

  it('500 on every attempt: gives up after retry.attempts with reason "unavailable"', async () => {
    const location = located();
    const from = proxy.seen.length;
    script = () => ({ status: 500, body: s3ErrorXml('InternalError', 'We encountered an internal error. Please try again.') });
    const err = await caught(location.list());
    expect([err.reason, err.operation, err.bucket, err.key, proxy.seen.length - from, location.stats.retries]).to.deep.equal(['unavailable', 'ListObjectsV2', 'data', 'r/', 3, 2]);
    expect(err.message).to.equal(
      `S3 ListObjectsV2 s3://data/r/ page 1 answered 500 Internal Server Error; gave up after 3 attempts. The server keeps failing: check it, or raise retry.attempts / retry.maxElapsedMs (endpoint ${proxy.endpoint} (from options), region us-east-1 (from default))`,
    );
  });

  it('a closed port: reason "unavailable" after the attempts, naming the endpoint', async () => {
    const closed = await startS3Proxy(s3.endpoint);
    await closed.close();
    const location = s3Location('s3://data/r', { s3: { endpoint: closed.endpoint, credentials: S3RVER_KEY }, retry: RETRY });
    const err = await caught(location.open('a.parquet'));
    expect([err.reason, err.operation, location.stats.requests]).to.deep.equal(['unavailable', 'HeadObject', 3]);
    expect(err.message).to.match(/^S3 HeadObject s3:\/\/data\/r\/a\.parquet failed: could not reach http:\/\/127\.0\.0\.1:\d+\/data\/r\/a\.parquet \(ECONNREFUSED\); check the URL and that the server is running; gave up after 3 attempts/);
  });

  it('a cancelled request: reason "cancelled", not retried', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopped by the caller'));
    const location = s3Location('s3://data/r', { s3: { endpoint: proxy.endpoint, credentials: S3RVER_KEY }, retry: RETRY, signal: controller.signal });
    const err = await caught(location.list());
    expect([err.reason, location.stats.requests]).to.deep.equal(['cancelled', 1]);
  });
});
