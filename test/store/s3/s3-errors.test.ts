import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { isTfplError } from '../../../src/errors.js';
import { resolveS3Config } from '../../../src/store/s3/s3-config.js';
import { ObjectStoreError, reasonOf } from '../../../src/store/s3/s3-errors.js';
import { s3Location, type S3Location } from '../../../src/store/s3/s3-location.js';
import { s3ErrorXml, startS3Stub, type CannedAnswer, type S3TestProxy } from '../../s3-server.js';

// What AWS answers, error by error (s3rver cannot produce AccessDenied, ExpiredToken or a wrong region).
const ACCESS_DENIED: CannedAnswer = { status: 403, body: s3ErrorXml('AccessDenied', 'Access Denied') };
const KEY = { accessKeyId: 'AKIAERRORSTEST000001', secretAccessKey: 'errS3cr3t/K7MDENG+bPxRfiCYEXAMPLEKEY0001', sessionToken: 'FwoGZXIvYXdzEBYaDTOKENtfplTEST//////////wEaDE1' };
const RETRY = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxElapsedMs: 1_000 };

async function caught(p: Promise<unknown>): Promise<ObjectStoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected an ObjectStoreError').to.be.instanceOf(ObjectStoreError);
  return err as ObjectStoreError;
}

describe('s3 errors: S3 error answers become ObjectStoreErrors that say what to check', function () {
  this.timeout(20_000);
  let stub: S3TestProxy;
  let respond: (req: IncomingMessage) => CannedAnswer = () => ACCESS_DENIED;
  let signed: S3Location;
  let anonymous: S3Location;

  before(async () => {
    stub = await startS3Stub((req) => respond(req));
    signed = s3Location('s3://data/btc', { s3: { endpoint: stub.endpoint, credentials: KEY }, retry: RETRY });
    anonymous = s3Location('s3://data/btc', { s3: { endpoint: stub.endpoint }, retry: RETRY });
  });
  after(() => stub?.close());
  afterEach(() => {
    respond = () => ACCESS_DENIED;
  });

  it('AccessDenied names the key id, where it came from, and the permission each operation needs', async () => {
    // Each request is made when its turn comes: a rejection nobody awaits yet would be an unhandled one.
    const cases: [() => Promise<unknown>, string, string][] = [
      [() => signed.client.getRange('btc/a.parquet', 0, 8), 'GetObject s3://data/btc/a.parquet', 's3:GetObject on s3://data/btc/a.parquet; grant it in the IAM or bucket policy (S3 also answers 403 for a missing key when the caller lacks s3:ListBucket)'],
      [() => signed.list(), 'ListObjectsV2 s3://data/btc/ (bucket data)', 's3:ListBucket on s3://data/btc/ (bucket data); grant it in the IAM or bucket policy'],
      [() => signed.putFile('_metadata', new Uint8Array(3)), 'PutObject s3://data/btc/_metadata', 's3:PutObject on s3://data/btc/_metadata; grant it in the IAM or bucket policy'],
      [() => signed.remove(['a.parquet']), 'DeleteObject s3://data/btc/a.parquet', 's3:DeleteObject on s3://data/btc/a.parquet; grant it in the IAM or bucket policy'],
    ];
    for (const [request, target, permission] of cases) {
      const err = await caught(request());
      expect([err.reason, err.status, err.s3Code, err.bucket, err.requestId, isTfplError(err)]).to.deep.equal(['access-denied', 403, 'AccessDenied', 'data', '4442587FB7D0A2F9', true]);
      expect(err.message).to.equal(`${target} was answered 403 AccessDenied: access key AKIAERRORSTEST000001 (from options) is not allowed ${permission} (request id 4442587FB7D0A2F9)`);
    }
  });

  it('AccessDenied to an unsigned request says no credentials were found and where to put them', async () => {
    const from = stub.seen.length;
    const err = await caught(anonymous.client.getRange('btc/a.parquet', 0, 8));
    expect(stub.seen[from]!.headers.authorization).to.equal(undefined);
    expect(err.message).to.equal(
      'GetObject s3://data/btc/a.parquet was answered 403 AccessDenied: the request was unsigned (no credentials found in options, the environment or the AWS profile) and the bucket does not allow anonymous s3:GetObject; ' +
        'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or pass s3.credentials (request id 4442587FB7D0A2F9)',
    );
  });

  it('a HEAD refused without a body: the GET asked after it gives the code; when that has none either, the status alone', async () => {
    respond = (req) => (req.method === 'HEAD' ? { status: 403 } : { status: 400, body: s3ErrorXml('ExpiredToken', 'The provided token has expired.') });
    const err = await caught(signed.open('a.parquet'));
    expect([err.reason, err.operation, err.s3Code, err.status]).to.deep.equal(['expired-token', 'HeadObject', 'ExpiredToken', 400]);
    expect(err.message).to.equal(
      'HeadObject s3://data/btc/a.parquet was answered 400 ExpiredToken: the session token of access key AKIAERRORSTEST000001 (from options) has expired or is invalid; refresh the temporary credentials (e.g. aws sso login, or export new ones) (request id 4442587FB7D0A2F9)',
    );
    respond = () => ({ status: 403 });
    const bare = await caught(signed.open('a.parquet'));
    expect([bare.reason, bare.s3Code]).to.deep.equal(['access-denied', undefined]);
    expect(bare.message).to.contain('; the answer had no body: wrong or expired credentials give the same 403');
  });

  it('a bucket in another region: the region the service names, and how to set it', async () => {
    respond = () => ({ status: 400, body: s3ErrorXml('AuthorizationHeaderMalformed', "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'", { Region: 'eu-west-1' }) });
    const err = await caught(signed.list());
    expect([err.reason, err.status]).to.deep.equal(['wrong-region', 400]);
    expect(err.message).to.equal(
      'ListObjectsV2 s3://data/btc/ (bucket data) was answered 400 AuthorizationHeaderMalformed: bucket data is in region eu-west-1, but requests were signed for us-east-1 (from default); set AWS_REGION=eu-west-1 or s3.region (request id 4442587FB7D0A2F9)',
    );
    respond = (req) => ({ status: 301, headers: { 'x-amz-bucket-region': 'ap-southeast-2' }, ...(req.method === 'HEAD' ? {} : { body: s3ErrorXml('PermanentRedirect', 'The bucket you are attempting to access must be addressed using the specified endpoint.') }) });
    const moved = await caught(signed.open('a.parquet'));
    expect([moved.reason, moved.status, moved.s3Code]).to.deep.equal(['wrong-region', 301, 'PermanentRedirect']);
    expect(moved.message).to.contain('bucket data is in region ap-southeast-2');
  });

  it('an error inside a 200 answer to CompleteMultipartUpload is an error: retried when internal, typed otherwise', async () => {
    let completes = 0;
    respond = (req) => {
      if (req.url?.includes('uploadId') && req.method === 'POST') {
        completes++;
        return { status: 200, body: completes === 1 ? s3ErrorXml('InternalError', 'We encountered an internal error. Please try again.') : s3ErrorXml('InvalidPart', 'One or more of the specified parts could not be found.') };
      }
      return { status: 500 };
    };
    const err = await caught(signed.client.completeMultipartUpload('btc/big.parquet', 'u-1', [{ partNumber: 1, etag: '"abc"' }]));
    expect([completes, err.reason, err.s3Code, err.status]).to.deep.equal([2, 'other', 'InvalidPart', 200]);
    expect(err.message).to.equal('CompleteMultipartUpload s3://data/btc/big.parquet was answered 200 InvalidPart: the service said: One or more of the specified parts could not be found. (request id 4442587FB7D0A2F9)');
  });

  it('a service that ignores Range (200 with the whole object) is refused, unless the range is the whole object', async () => {
    respond = () => ({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: '0123456789' });
    expect(new TextDecoder().decode(await signed.client.getRange('btc/a.parquet', 0, 10))).to.equal('0123456789');
    const err = await caught(signed.client.getRange('btc/a.parquet', 2, 6));
    expect([err.reason, err.status]).to.deep.equal(['other', 200]);
    expect(err.message).to.equal('GetObject s3://data/btc/a.parquet bytes 2-5: the service ignored the Range header (it sent the whole object); it is not S3-compatible for reads');
  });

  it('maps codes (and bare statuses, for HEAD) to reasons', () => {
    const table = [
      [403, 'SignatureDoesNotMatch', 'signature'],
      [403, 'InvalidAccessKeyId', 'invalid-access-key'],
      [400, 'ExpiredToken', 'expired-token'],
      [403, 'InvalidToken', 'expired-token'],
      [403, 'AccessDenied', 'access-denied'],
      [403, 'AllAccessDisabled', 'access-denied'],
      [404, 'NoSuchBucket', 'no-such-bucket'],
      [404, 'NoSuchKey', 'no-such-key'],
      [412, 'PreconditionFailed', 'precondition-failed'],
      [409, 'ConditionalRequestConflict', 'precondition-failed'],
      [416, 'InvalidRange', 'invalid-range'],
      [400, 'AuthorizationHeaderMalformed', 'other'],
      [400, 'InvalidArgument', 'other'],
      [403, undefined, 'access-denied'],
      [412, undefined, 'precondition-failed'],
      [416, undefined, 'invalid-range'],
      [400, undefined, 'other'],
    ] as const;
    expect(table.map(([status, code]) => reasonOf(status, code))).to.deep.equal(table.map(([, , reason]) => reason));
    expect(reasonOf(301, undefined, { region: 'eu-west-1' })).to.equal('wrong-region');
  });

  it('an anonymous request carries no Authorization and no x-amz-date; a signed one carries the session token', async () => {
    respond = () => ({ status: 200, headers: { etag: '"d41d8cd98f00b204e9800998ecf8427e"' } });
    const from = stub.seen.length;
    await anonymous.putFile('x', new Uint8Array(1));
    await signed.putFile('x', new Uint8Array(1));
    const [anon, sig] = stub.seen.slice(from);
    expect([anon!.headers.authorization, anon!.headers['x-amz-date']]).to.deep.equal([undefined, undefined]);
    expect(sig!.headers['x-amz-security-token']).to.equal(KEY.sessionToken);
    expect(String(sig!.headers.authorization)).to.match(/SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    expect(resolveS3Config({}, null).credentialSource).to.equal('anonymous');
  });
});
