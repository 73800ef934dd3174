import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../src/errors.js';
import { awsSharedConfig } from '../../../src/node/aws-shared-config.js';
import { resolveS3Config } from '../../../src/store/s3/s3-config.js';
import { parseIni } from '../../../src/store/s3/s3-ini.js';
import { sharedConfigFrom, type SharedConfigInput } from '../../../src/store/s3/s3-shared-config.js';
import { useTmpDir } from '../../tmp-dir.js';

const CREDENTIALS = `
# keys of two profiles
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = secret-default

[dev]
AWS_ACCESS_KEY_ID = AKIADEV
aws_secret_access_key=secret-dev
aws_session_token = token-dev
`;

const CONFIG = `
[default]
region = eu-west-3

; a profile with its keys in the config file, an endpoint and path-style addressing
[profile minio]
aws_access_key_id = AKIAMINIO
aws_secret_access_key = secret-minio
region = auto
endpoint_url = http://127.0.0.1:9000
s3 =
  addressing_style = path

[profile dev]
region = ap-south-1
aws_access_key_id = AKIA-IGNORED
aws_secret_access_key = ignored-because-the-credentials-file-wins

[profile gcs]
services = gcs-services
aws_access_key_id = GOOGID
aws_secret_access_key = secret-gcs

[services gcs-services]
s3 =
  endpoint_url = https://storage.googleapis.com

[profile sso]
sso_session = corp
region = us-west-2
`;

const files = (credentials: string | null = CREDENTIALS, config: string | null = CONFIG) => ({
  credentialsFile: { path: '/home/u/.aws/credentials', text: credentials },
  configFile: { path: '/home/u/.aws/config', text: config },
});

function shared(env: SharedConfigInput['env'], profile?: string, credentials?: string | null, config?: string | null) {
  const s = sharedConfigFrom({ env, ...files(credentials, config), ...(profile === undefined ? {} : { profile }) });
  return { profile: s.profile, key: s.credentials?.accessKeyId, source: s.credentials?.source, token: s.credentials?.hasSessionToken, region: s.region, endpoint: s.endpoint, pathStyle: s.forcePathStyle };
}

describe('s3 config: parseIni reads the AWS shared files as the CLI does', () => {
  it('reads sections, lower-cases keys, skips comments, nests indented sub-keys', () => {
    const ini = parseIni(CONFIG);
    expect([...ini.keys()]).to.deep.equal(['default', 'profile minio', 'profile dev', 'profile gcs', 'services gcs-services', 'profile sso']);
    expect(Object.fromEntries(ini.get('profile minio')!)).to.deep.equal({
      aws_access_key_id: 'AKIAMINIO',
      aws_secret_access_key: 'secret-minio',
      region: 'auto',
      endpoint_url: 'http://127.0.0.1:9000',
      s3: '',
      's3.addressing_style': 'path',
    });
    expect(Object.fromEntries(parseIni(CREDENTIALS).get('dev')!)).to.deep.equal({ aws_access_key_id: 'AKIADEV', aws_secret_access_key: 'secret-dev', aws_session_token: 'token-dev' });
  });

  it('takes CRLF line ends, "[ profile  x ]" spacing and a section named __proto__ as plain data', () => {
    const ini = parseIni('[ profile  x ]\r\nregion = r1\r\n[__proto__]\r\nregion = r2\r\n');
    expect(ini.get('profile x')!.get('region')).to.equal('r1');
    expect(ini.get('__proto__')!.get('region')).to.equal('r2');
    expect(({} as Record<string, unknown>).region).to.equal(undefined);
  });
});

describe('s3 config: credentials, region and endpoint are resolved in the AWS order', () => {
  it('environment keys win over every profile', () => {
    expect(shared({ AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'secret-env', AWS_SESSION_TOKEN: 'tok', AWS_PROFILE: 'dev' })).to.deep.include({ profile: 'dev', key: 'AKIAENV', source: 'environment', token: true });
  });

  it('without environment keys, the default profile of the credentials file, and the region of [default] in config', () => {
    expect(shared({})).to.deep.equal({ profile: 'default', key: 'AKIADEFAULT', source: 'profile default', token: false, region: { value: 'eu-west-3', from: 'profile default' }, endpoint: undefined, pathStyle: undefined });
  });

  it('AWS_PROFILE picks the profile; its credentials-file keys win over the same profile in config; [profile x] holds its region', () => {
    expect(shared({ AWS_PROFILE: 'dev' })).to.deep.equal({ profile: 'dev', key: 'AKIADEV', source: 'profile dev', token: true, region: { value: 'ap-south-1', from: 'profile dev' }, endpoint: undefined, pathStyle: undefined });
  });

  it('a profile found only in config gives its keys, endpoint_url and s3.addressing_style', () => {
    expect(shared({ AWS_PROFILE: 'minio' })).to.deep.equal({
      profile: 'minio',
      key: 'AKIAMINIO',
      source: 'profile minio',
      token: false,
      region: { value: 'auto', from: 'profile minio' },
      endpoint: { value: 'http://127.0.0.1:9000', from: 'profile minio' },
      pathStyle: { value: true, from: 'profile minio' },
    });
  });

  it('a profile`s services section gives its s3 endpoint_url', () => {
    expect(shared({ AWS_PROFILE: 'gcs' }).endpoint).to.deep.equal({ value: 'https://storage.googleapis.com', from: 'profile gcs (services gcs-services)' });
  });

  it('AWS_REGION wins over AWS_DEFAULT_REGION, which wins over the profile', () => {
    expect(shared({ AWS_REGION: 'r-env', AWS_DEFAULT_REGION: 'r-default' }).region).to.deep.equal({ value: 'r-env', from: 'AWS_REGION' });
    expect(shared({ AWS_DEFAULT_REGION: 'r-default' }).region).to.deep.equal({ value: 'r-default', from: 'AWS_DEFAULT_REGION' });
  });

  it('AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL, which wins over the profile; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS drops them all', () => {
    const env = { AWS_PROFILE: 'minio', AWS_ENDPOINT_URL: 'http://10.0.0.1:9000' };
    expect(shared(env).endpoint).to.deep.equal({ value: 'http://10.0.0.1:9000', from: 'AWS_ENDPOINT_URL' });
    expect(shared({ ...env, AWS_ENDPOINT_URL_S3: 'https://s3.example.com' }).endpoint).to.deep.equal({ value: 'https://s3.example.com', from: 'AWS_ENDPOINT_URL_S3' });
    expect(shared({ ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }).endpoint).to.equal(undefined);
  });

  it('an explicit profile option wins over AWS_PROFILE and over environment keys, as `aws --profile` does', () => {
    expect(shared({ AWS_PROFILE: 'dev', AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'secret-env' }, 'minio')).to.deep.include({ profile: 'minio', key: 'AKIAMINIO', source: 'profile minio' });
  });

  it('no keys anywhere: no credentials (requests go unsigned)', () => {
    expect(shared({}, undefined, null, null)).to.deep.equal({ profile: 'default', key: undefined, source: undefined, token: undefined, region: undefined, endpoint: undefined, pathStyle: undefined });
  });

  it('refuses what would silently go wrong: a named profile that does not exist, half a key pair, a profile needing SSO, a bad endpoint URL', () => {
    expect(() => shared({ AWS_PROFILE: 'prod' })).to.throw(ConfigError, 's3: profile "prod" (AWS_PROFILE) is in neither /home/u/.aws/credentials nor /home/u/.aws/config; profiles there: default, dev, minio, gcs, sso');
    expect(() => shared({ AWS_ACCESS_KEY_ID: 'AKIAENV' })).to.throw(ConfigError, 's3: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or neither');
    expect(() => shared({ AWS_PROFILE: 'x' }, undefined, '[x]\naws_access_key_id = A\n', null)).to.throw(ConfigError, 's3: profile x has aws_access_key_id but no aws_secret_access_key');
    expect(() => shared({ AWS_PROFILE: 'sso' })).to.throw(ConfigError, 's3: profile sso gets its credentials through sso_session, which this SDK does not run; export them first, e.g. eval "$(aws configure export-credentials --profile sso --format env)"');
    expect(() => shared({ AWS_ENDPOINT_URL: 'minio:9000' })).to.throw(ConfigError, 's3: AWS_ENDPOINT_URL must be an http(s):// URL without query or credentials, such as https://storage.googleapis.com or http://127.0.0.1:9000; received "minio:9000"');
  });
});

describe('s3 config: resolveS3Config puts explicit options first', () => {
  const fromEnv = sharedConfigFrom({ env: { AWS_PROFILE: 'minio', AWS_REGION: 'eu-central-1' }, ...files() });

  it('options win field by field; the rest comes from the shared config, then the defaults', () => {
    const c = resolveS3Config({ credentials: { accessKeyId: 'AKIAOPT', secretAccessKey: 'secret-opt' } }, fromEnv);
    expect({ ...c, credentials: c.credentials?.accessKeyId }).to.deep.equal({
      region: 'eu-central-1',
      regionFrom: 'AWS_REGION',
      endpoint: 'http://127.0.0.1:9000',
      endpointFrom: 'profile minio',
      forcePathStyle: true,
      credentials: 'AKIAOPT',
      credentialSource: 'options',
    });
    const d = resolveS3Config({ region: 'auto', endpoint: 'https://acc.r2.cloudflarestorage.com', forcePathStyle: false }, fromEnv);
    expect([d.region, d.regionFrom, d.endpoint, d.endpointFrom, d.forcePathStyle, d.credentialSource]).to.deep.equal(['auto', 'options', 'https://acc.r2.cloudflarestorage.com', 'options', false, 'profile minio']);
  });

  it('a browser (no shared config) has options only: anonymous, us-east-1, AWS', () => {
    const c = resolveS3Config({}, null);
    expect([c.credentials, c.credentialSource, c.region, c.regionFrom, c.endpoint, c.endpointFrom]).to.deep.equal([null, 'anonymous', 'us-east-1', 'default', undefined, 'AWS']);
    expect(() => resolveS3Config({ profile: 'dev' }, null)).to.throw(ConfigError, 's3Location: s3.profile needs the shared AWS files, which only Node reads; in a browser pass s3.credentials');
  });

  it('checks options before any I/O, naming the option', () => {
    expect(() => resolveS3Config({ endpoint: 'ftp://x' }, null)).to.throw(ConfigError, 's3Location: s3.endpoint must be an http(s):// URL');
    expect(() => resolveS3Config({ regoin: 'x' } as never, null)).to.throw(ConfigError, 's3Location: unknown option "regoin"; valid options: region, endpoint, credentials, forcePathStyle, profile');
    expect(() => resolveS3Config({ forcePathStyle: 'yes' } as never, null)).to.throw(ConfigError, 's3Location: forcePathStyle must be true or false; received "yes"');
  });
});

describe('s3 config: awsSharedConfig reads the environment and the shared files in Node', () => {
  const tmp = useTmpDir();

  it('finds ~/.aws/credentials and ~/.aws/config under HOME, or the files AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE name', async () => {
    const home = tmp();
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), CREDENTIALS);
    writeFileSync(join(home, '.aws', 'config'), CONFIG);
    const a = await awsSharedConfig({ HOME: home, AWS_PROFILE: 'dev' });
    expect([a.credentials?.accessKeyId, a.credentials?.source, a.region?.value]).to.deep.equal(['AKIADEV', 'profile dev', 'ap-south-1']);

    writeFileSync(join(home, 'creds'), '[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = secret-ci\n');
    writeFileSync(join(home, 'conf'), '[profile ci]\nregion = sa-east-1\nendpoint_url = https://minio.ci:9000\n');
    const b = await awsSharedConfig({ HOME: home, AWS_SHARED_CREDENTIALS_FILE: '~/creds', AWS_CONFIG_FILE: join(home, 'conf') }, { profile: 'ci' });
    expect([b.profile, b.credentials?.accessKeyId, b.region?.value, b.endpoint?.value]).to.deep.equal(['ci', 'AKIACI', 'sa-east-1', 'https://minio.ci:9000']);
  });

  it('missing files are no error: no credentials', async () => {
    const a = await awsSharedConfig({ HOME: tmp() });
    expect([a.profile, a.credentials, a.region, a.endpoint]).to.deep.equal(['default', undefined, undefined, undefined]);
  });

  it('an unreadable file is a ConfigError naming it', async () => {
    const dir = tmp();
    const err = await awsSharedConfig({ HOME: dir, AWS_CONFIG_FILE: dir }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.equal(`s3: cannot read the AWS shared file ${dir} (EISDIR); fix its permissions, or point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE elsewhere`);
  });
});
