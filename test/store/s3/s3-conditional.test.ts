import { expect } from 'chai';
import { FileChangedError } from '../../../src/store/parquet-read-error.js';
import { ObjectStoreError } from '../../../src/store/s3/s3-errors.js';
import { s3Location, type S3Location } from '../../../src/store/s3/s3-location.js';
import { S3RVER_KEY, startS3Proxy, startS3rver, type S3TestProxy, type S3TestServer } from '../../s3-server.js';

const FAST_RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 5_000 };
const text = (s: string) => new TextEncoder().encode(s);

async function caught(p: Promise<unknown>): Promise<ObjectStoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected an ObjectStoreError').to.be.instanceOf(ObjectStoreError);
  return err as ObjectStoreError;
}

describe('s3 conditional writes: If-None-Match and If-Match, honoured (a proxy doing what AWS does) and ignored (s3rver alone)', function () {
  this.timeout(30_000);
  let s3: S3TestServer;
  let honouring: S3TestProxy;
  let strict: S3Location;
  let lax: S3Location;

  before(async () => {
    s3 = await startS3rver({ buckets: ['data'] });
    honouring = await startS3Proxy(s3.endpoint, { conditional: true });
    strict = s3Location('s3://data/strict', { s3: { endpoint: honouring.endpoint, credentials: S3RVER_KEY }, retry: FAST_RETRY });
    lax = s3Location('s3://data/lax', { s3: { endpoint: s3.endpoint, credentials: S3RVER_KEY }, retry: FAST_RETRY });
  });
  after(async () => {
    await honouring?.close();
    await s3?.close();
  });

  it('If-None-Match: * creates a key once; the second is 412 PreconditionFailed, naming the key and the condition', async () => {
    const first = await strict.putFile('_metadata', text('v1'), { ifNoneMatch: '*' });
    const err = await caught(strict.putFile('_metadata', text('v2'), { ifNoneMatch: '*' }));
    expect([err.reason, err.status, err.s3Code, err.operation, err.bucket, err.key]).to.deep.equal(['precondition-failed', 412, 'PreconditionFailed', 'PutObject', 'data', 'strict/_metadata']);
    expect(err.message).to.equal(
      'PutObject s3://data/strict/_metadata was answered 412 PreconditionFailed: another writer changed s3://data/strict/_metadata first (If-None-Match: * did not hold); read its current version and retry the commit (request id 4442587FB7D0A2F9)',
    );
    expect(await strict.versionOf('_metadata')).to.equal(first.etag);
  });

  it('If-Match with a stale ETag is 412; with the current one the write goes through and the ETag moves on', async () => {
    const v1 = await strict.putFile('_common_metadata', text('one'));
    const v2 = await strict.putFile('_common_metadata', text('two'), { ifMatch: v1.etag });
    expect(v2.etag).to.not.equal(v1.etag);
    const err = await caught(strict.putFile('_common_metadata', text('three'), { ifMatch: v1.etag }));
    expect([err.reason, err.status]).to.deep.equal(['precondition-failed', 412]);
    expect(err.message).to.contain(`(If-Match: ${v1.etag} did not hold)`);
    const v3 = await strict.putFile('_common_metadata', text('three'), { ifMatch: v2.etag });
    expect(await strict.versionOf('_common_metadata')).to.equal(v3.etag);
    expect(await (await strict.open('_common_metadata'))!.read(0, 5)).to.deep.equal(text('three'));
  });

  it('of two writers racing to create one key, exactly one wins', async () => {
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map((w) => strict.putFile('_race', text(w), { ifNoneMatch: '*' })));
    expect(results.map((r) => r.status).sort()).to.deep.equal(['fulfilled', 'rejected', 'rejected', 'rejected']);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect(await (await strict.open('_race'))!.read(0, 1)).to.deep.equal(text('abcd'[winner]!));
  });

  it('a multipart upload completing onto an existing key with If-None-Match: * is 412, and aborted', async () => {
    await strict.putFile('part-00000.parquet', text('x'));
    const chunks = [new Uint8Array(5 * 1024 * 1024 + 1)];
    const err = await caught(strict.uploadFile('part-00000.parquet', chunks, { partSize: 5 * 1024 * 1024, ifNoneMatch: '*' }));
    expect([err.reason, err.operation, err.status]).to.deep.equal(['precondition-failed', 'CompleteMultipartUpload', 412]);
    expect(honouring.seen.at(-1)!.method).to.equal('DELETE');
  });

  it('a file replaced after it was opened fails to read (If-Match on the ranged GET) instead of mixing versions', async () => {
    await strict.putFile('part-00001.parquet', text('old bytes'));
    const src = (await strict.open('part-00001.parquet'))!;
    expect(await src.read(0, 3)).to.deep.equal(text('old'));
    await strict.putFile('part-00001.parquet', text('new bytes'));
    const err = await src.read(4, 9).then(
      () => null,
      (e: unknown) => e,
    );
    // The error every changed file gives (local, HTTP, S3), with S3's answer as its cause.
    expect(err).to.be.instanceOf(FileChangedError);
    expect((err as FileChangedError).message).to.equal(
      `s3://data/strict/part-00001.parquet: the object changed after the store was opened (ETag ${src.version} no longer matches); nothing of the new bytes was used: reopen the store to read its new state`,
    );
    const cause = (err as Error).cause as ObjectStoreError;
    expect([cause.reason, cause.status, cause.operation]).to.deep.equal(['precondition-failed', 412, 'GetObject']);
    expect(cause.message).to.equal(
      `GetObject s3://data/strict/part-00001.parquet was answered 412 PreconditionFailed: s3://data/strict/part-00001.parquet changed since it was opened (its ETag was ${src.version}); open the store again to read the new version (request id 4442587FB7D0A2F9)`,
    );
  });

  it('s3rver alone ignores both conditions: the same writes all go through (what a commit must not rely on)', async () => {
    const v1 = await lax.putFile('_metadata', text('v1'), { ifNoneMatch: '*' });
    const v2 = await lax.putFile('_metadata', text('v2'), { ifNoneMatch: '*' });
    await lax.putFile('_metadata', text('v3'), { ifMatch: v1.etag });
    expect(v2.etag).to.not.equal(v1.etag);
    expect(await (await lax.open('_metadata'))!.read(0, 2)).to.deep.equal(text('v3'));
    // ...and a replaced file is read as its new version, mixing bytes of two versions.
    const src = (await lax.open('_metadata'))!;
    await lax.putFile('_metadata', text('v4'));
    expect(await src.read(0, 2)).to.deep.equal(text('v4'));
  });
});
