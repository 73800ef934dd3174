import { expect } from 'chai';
import { inspect } from 'node:util';
import { ConfigError } from '../../../src/errors.js';
import { resolveS3Config } from '../../../src/store/s3/s3-config.js';
import { AwsCredentials } from '../../../src/store/s3/s3-credentials.js';
import { sharedConfigFrom } from '../../../src/store/s3/s3-shared-config.js';
import { s3Location, type S3LocationOptions } from '../../../src/store/s3/s3-location.js';
import { s3ErrorXml, startS3Proxy, startS3rver, startS3Stub, type CannedAnswer, type S3TestProxy, type S3TestServer } from '../../s3-server.js';

/**
 * The secret access key and the session token never reach a message, a stack, a JSON or an inspection of
 * any error (with its causes), of the location, of its config or of its stats, even against servers that
 * echo them back in every field of an error answer.
 */

const SECRET = 'tfplSECRETkey/K7MDENG+bPxRfiCYEXAMPLE99';
const TOKEN = 'tfplSESSIONtoken//////////wEaDFAKEtokenZZ9';
const KEY = { accessKeyId: 'AKIASECRETSTEST00001', secretAccessKey: SECRET, sessionToken: TOKEN };
const RETRY = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxElapsedMs: 1_000 };
const FORMS = [SECRET, TOKEN, encodeURIComponent(SECRET), encodeURIComponent(TOKEN)];

/** Everything a program might print of a value: String, stack, JSON and inspection, down its cause chain. */
function renderings(value: unknown): string[] {
  const out = [String(value), inspect(value, { depth: Infinity, showHidden: true }), inspect(value, { depth: Infinity, customInspect: false })];
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch (err) {
    out.push(String(err));
  }
  if (value instanceof Error) {
    out.push(value.stack ?? '', value.message);
    if (value.cause !== undefined) out.push(...renderings(value.cause));
  }
  return out;
}

function expectNoSecret(what: string, value: unknown): void {
  for (const text of renderings(value)) {
    for (const form of FORMS) expect(text.includes(form), `${what} shows a secret: ${text.slice(0, 400)}`).to.equal(false);
  }
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected a failure').to.be.instanceOf(Error);
  return err as Error;
}

describe('s3 secrets: neither the secret key nor the session token appears anywhere', function () {
  this.timeout(20_000);
  let s3: S3TestServer;
  let echo: S3TestProxy;
  let proxy: S3TestProxy;

  before(async () => {
    s3 = await startS3rver({ buckets: ['data'], keys: [{ accessKeyId: KEY.accessKeyId, secretAccessKey: 'the-right-secret-is-another-one-00000000' }] });
    proxy = await startS3Proxy(s3.endpoint);
    // Echoes the session token and the secret (as a broken proxy could) in every field S3 errors have.
    let n = 0;
    echo = await startS3Stub((req): CannedAnswer => {
      const token = String(req.headers['x-amz-security-token']);
      const both = `${token} ${SECRET}`;
      switch (n++ % 4) {
        case 0:
          return { status: 400, headers: { 'x-amz-request-id': both }, body: s3ErrorXml(both, `Invalid argument ${both}`, { ArgumentValue: both }) };
        case 1:
          return { status: 403, headers: { 'x-amz-request-id': both, 'x-amz-bucket-region': both } };
        case 2:
          return { status: 500, body: `<html>${both}</html>` };
        default:
          return { status: 400, body: s3ErrorXml('InvalidArgument', both).replace('<RequestId>4442587FB7D0A2F9</RequestId>', `<RequestId>${both}</RequestId>`) };
      }
    });
  });
  after(async () => {
    await echo?.close();
    await proxy?.close();
    await s3?.close();
  });

  const at = (endpoint: string, extra: S3LocationOptions = {}) => s3Location('s3://data/btc', { s3: { endpoint, credentials: KEY }, retry: RETRY, ...extra });

  it('in every error a server provokes, and in the location, its config and stats', async () => {
    const errors: [string, Error][] = [];
    const real = at(proxy.endpoint);
    errors.push(['SignatureDoesNotMatch (s3rver quotes its StringToSign)', await failure(real.client.getRange('btc/a.parquet', 0, 4))]);
    errors.push(['SignatureDoesNotMatch on HEAD', await failure(real.open('a.parquet'))]);
    errors.push(['a listing refused', await failure(s3Location('s3://nope-bucket/x', { s3: { endpoint: proxy.endpoint, credentials: KEY }, retry: RETRY }).list())]);
    const echoing = at(echo.endpoint);
    for (let i = 0; i < 4; i++) errors.push([`echoing server, answer ${i}`, await failure(echoing.client.getRange('btc/a.parquet', 0, 4))]);
    errors.push(['echoing server, HEAD', await failure(echoing.open('a.parquet'))]);
    errors.push(['echoing server, PUT', await failure(echoing.putFile('_metadata', new Uint8Array(4), { ifNoneMatch: '*' }))]);
    const closed = await startS3Stub(() => ({ status: 200 }));
    await closed.close();
    errors.push(['a closed port', await failure(at(closed.endpoint).list())]);
    expect(errors.length).to.equal(10);
    for (const [what, err] of errors) expectNoSecret(what, err);
    // The echoed values were scrubbed, not dropped: the message says where a secret stood.
    expect(errors[3]![1].message).to.equal('GetObject s3://data/btc/a.parquet was answered 400 (hidden) (hidden): the service said: Invalid argument (hidden) (hidden) (request id 4442587FB7D0A2F9)');
    expect(errors.filter(([, e]) => e.message.endsWith('(request id (hidden) (hidden))')).map(([what]) => what)).to.deep.equal(['echoing server, answer 1', 'echoing server, answer 2', 'echoing server, HEAD']);

    expectNoSecret('the location', real);
    expectNoSecret('the client', real.client);
    expectNoSecret('the config', real.client.config);
    expectNoSecret('the stats', real.stats);
    expect(JSON.stringify(real.client.config.credentials)).to.equal('{"accessKeyId":"AKIASECRETSTEST00001","secretAccessKey":"(hidden)","sessionToken":"(hidden)","source":"options"}');
    expect(String(real.client.config.credentials)).to.equal('AwsCredentials(AKIASECRETSTEST00001 from options)');
  });

  it('in configuration errors and in credentials found in the environment or a profile', () => {
    const errors: unknown[] = [];
    const tryIt = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        errors.push(err);
      }
    };
    tryIt(() => s3Location('s3://data/btc', { s3: { credentials: `${KEY.accessKeyId}:${SECRET}` as never } }));
    tryIt(() => s3Location('s3://data/btc', { s3: { credentials: { accessKeyId: 'A', secretAccessKey: SECRET, sessionToken: 7 as never } } }));
    tryIt(() => s3Location('s3://data/btc', { s3: { credentials: { accessKeyId: 'A', secretAccessKey: [SECRET] as never } } }));
    tryIt(() => s3Location('s3://data/btc', { s3: { credentials: { accessKeyId: 'A', secretAccessKey: SECRET, token: TOKEN } as never } }));
    tryIt(() => s3Location('s3://data/btc', { s3: { endpoint: `http://user:${SECRET}@127.0.0.1:9000` } }));
    tryIt(() => sharedConfigFrom({ env: { AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN }, credentialsFile: { path: 'c', text: null }, configFile: { path: 'f', text: null } }));
    tryIt(() => sharedConfigFrom({ env: { AWS_PROFILE: 'p' }, credentialsFile: { path: 'c', text: `[p]\naws_secret_access_key = ${SECRET}\naws_session_token = ${TOKEN}\n` }, configFile: { path: 'f', text: null } }));
    expect(errors.length).to.equal(7);
    errors.forEach((err, i) => expectNoSecret(`configuration error ${i}`, err));
    expect((errors[0] as Error).message).to.equal('s3Location: credentials must be an object; received (hidden)');

    const fromEnv = sharedConfigFrom({ env: { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN }, credentialsFile: { path: 'c', text: null }, configFile: { path: 'f', text: null } });
    expectNoSecret('the shared config', fromEnv);
    expectNoSecret('the resolved config', resolveS3Config({}, fromEnv));
    expectNoSecret('credentials in a template string', `${new AwsCredentials(KEY, 'options')}`);
    expectNoSecret('credentials spread', { ...new AwsCredentials(KEY, 'options') });
  });
});
