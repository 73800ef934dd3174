import { ConfigError } from '../../errors.js';
import { AwsCredentials } from './s3-credentials.js';
import { parseIni, type IniSections } from './s3-ini.js';

/** A setting and where it was found (`AWS_REGION`, `profile dev`, ...), for messages. */
export interface Sourced<T> {
  readonly value: T;
  readonly from: string;
}

/**
 * What the AWS tools' environment and shared files say, as Node's `awsSharedConfig()` found it (a browser has
 * none): credentials, region, endpoint and addressing style, each with where it came from.
 */
export interface AwsSharedConfig {
  /** The profile read (`AWS_PROFILE`, the `profile` option, or `default`). */
  readonly profile: string;
  readonly credentials?: AwsCredentials;
  readonly region?: Sourced<string>;
  readonly endpoint?: Sourced<string>;
  readonly forcePathStyle?: Sourced<boolean>;
}

/** One shared file: its path (for messages) and its text, or null when it does not exist. */
export interface SharedFile {
  readonly path: string;
  readonly text: string | null;
}

/** The inputs of `sharedConfigFrom`: the environment, the two files, and a profile named by options. */
export interface SharedConfigInput {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly credentialsFile: SharedFile;
  readonly configFile: SharedFile;
  /** The `profile` option: chosen explicitly, so it wins over `AWS_PROFILE` and over keys in the environment (as `aws --profile` does). */
  readonly profile?: string;
}

// Ways a profile can get credentials that need a process, a token exchange or a role assumption this SDK does not run.
const INDIRECT = ['role_arn', 'credential_process', 'sso_session', 'sso_start_url', 'web_identity_token_file', 'credential_source'];

/**
 * Resolves what the AWS CLI would: credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
 * `AWS_SESSION_TOKEN`, else from the profile (`AWS_PROFILE`, default `default`) in the credentials file then
 * the config file (`[profile name]` sections there, `[default]` for the default); region from `AWS_REGION`,
 * `AWS_DEFAULT_REGION`, the profile's `region`; endpoint from `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`,
 * the profile's `services` section (`s3 = endpoint_url = ...`), its `endpoint_url` (none of them when
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`); addressing style from the profile's `s3.addressing_style`.
 * A pure function over texts: Node's `awsSharedConfig()` reads the files and calls it.
 *
 * @example
 * const shared = sharedConfigFrom({
 *   env: { AWS_PROFILE: 'dev' },
 *   credentialsFile: { path: '~/.aws/credentials', text: '[dev]\naws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t\n' },
 *   configFile: { path: '~/.aws/config', text: '[profile dev]\nregion = eu-west-1\n' },
 * });
 * // shared.credentials.source === 'profile dev', shared.region → { value: 'eu-west-1', from: 'profile dev' }
 */
export function sharedConfigFrom(input: SharedConfigInput): AwsSharedConfig {
  const { env } = input;
  const named = input.profile ?? nonEmpty(env.AWS_PROFILE);
  const profile = named ?? 'default';
  const credentialsIni: IniSections = input.credentialsFile.text === null ? new Map() : parseIni(input.credentialsFile.text);
  const configIni: IniSections = input.configFile.text === null ? new Map() : parseIni(input.configFile.text);
  const fromCredentials = credentialsIni.get(profile);
  const fromConfig = configIni.get(profile === 'default' ? 'default' : `profile ${profile}`) ?? (profile === 'default' ? configIni.get('profile default') : undefined);
  if (named !== undefined && !fromCredentials && !fromConfig) {
    const known = [...new Set([...credentialsIni.keys(), ...[...configIni.keys()].filter((s) => s === 'default' || s.startsWith('profile ')).map((s) => s.replace(/^profile /, ''))])];
    throw new ConfigError(
      `s3: profile ${JSON.stringify(profile)} (${input.profile === undefined ? 'AWS_PROFILE' : 'the profile option'}) is in neither ${input.credentialsFile.path} nor ${input.configFile.path}; ` +
        `profiles there: ${known.length ? known.join(', ') : 'none'}`,
    );
  }
  // The credentials file wins over the config file for the same key, as in the AWS SDKs.
  const settings = new Map<string, string>([...(fromConfig ?? []), ...(fromCredentials ?? [])]);
  const where = `profile ${profile}`;

  return {
    profile,
    ...credentialsOf(input, settings, where),
    ...optional('region', regionOf(env, settings, where)),
    ...optional('endpoint', endpointOf(env, settings, configIni, where)),
    ...optional('forcePathStyle', addressingOf(settings, where)),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function optional<K extends string, T>(key: K, value: T | undefined): { [P in K]?: T } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: T };
}

function credentialsOf(input: SharedConfigInput, settings: Map<string, string>, where: string): { credentials?: AwsCredentials } {
  const { env } = input;
  const id = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secret = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if (input.profile === undefined && (id || secret)) {
    if (!id || !secret) throw new ConfigError(`s3: ${id ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} is set but ${id ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} is not; set both, or neither`);
    const token = nonEmpty(env.AWS_SESSION_TOKEN);
    return { credentials: new AwsCredentials({ accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) }, 'environment') };
  }
  const pid = nonEmpty(settings.get('aws_access_key_id'));
  const psecret = nonEmpty(settings.get('aws_secret_access_key'));
  if (pid || psecret) {
    if (!pid || !psecret) {
      throw new ConfigError(`s3: ${where} has ${pid ? 'aws_access_key_id' : 'aws_secret_access_key'} but no ${pid ? 'aws_secret_access_key' : 'aws_access_key_id'} (in ${input.credentialsFile.path} or ${input.configFile.path}); set both`);
    }
    const token = nonEmpty(settings.get('aws_session_token'));
    return { credentials: new AwsCredentials({ accessKeyId: pid, secretAccessKey: psecret, ...(token ? { sessionToken: token } : {}) }, where as `profile ${string}`) };
  }
  const indirect = INDIRECT.find((k) => settings.has(k));
  if (indirect) {
    throw new ConfigError(
      `s3: ${where} gets its credentials through ${indirect}, which this SDK does not run; export them first, e.g. ` +
        `eval "$(aws configure export-credentials --profile ${where.slice('profile '.length)} --format env)", or pass s3.credentials`,
    );
  }
  return {};
}

function regionOf(env: SharedConfigInput['env'], settings: Map<string, string>, where: string): Sourced<string> | undefined {
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
    const v = nonEmpty(env[name]);
    if (v) return { value: v, from: name };
  }
  const v = nonEmpty(settings.get('region'));
  return v ? { value: v, from: where } : undefined;
}

function endpointOf(env: SharedConfigInput['env'], settings: Map<string, string>, configIni: IniSections, where: string): Sourced<string> | undefined {
  if (nonEmpty(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)?.toLowerCase() === 'true') return undefined;
  for (const name of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
    const v = nonEmpty(env[name]);
    if (v) return { value: checkEndpoint(v, name), from: name };
  }
  const services = nonEmpty(settings.get('services'));
  const forS3 = services ? nonEmpty(configIni.get(`services ${services}`)?.get('s3.endpoint_url')) : undefined;
  if (forS3) return { value: checkEndpoint(forS3, `[services ${services}] s3.endpoint_url`), from: `${where} (services ${services})` };
  const v = nonEmpty(settings.get('endpoint_url'));
  return v ? { value: checkEndpoint(v, `${where} endpoint_url`), from: where } : undefined;
}

function addressingOf(settings: Map<string, string>, where: string): Sourced<boolean> | undefined {
  const style = nonEmpty(settings.get('s3.addressing_style'))?.toLowerCase();
  if (style === 'path') return { value: true, from: where };
  if (style === 'virtual') return { value: false, from: where };
  return undefined;
}

/**
 * An endpoint setting as a URL string, or a `ConfigError` naming the setting: only `http(s)://host[:port][/path]`.
 *
 * @example
 * checkEndpoint('http://127.0.0.1:9000', 'AWS_ENDPOINT_URL'); // 'http://127.0.0.1:9000'
 */
export function checkEndpoint(value: string, setting: string, caller = 's3'): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    // A URL with a user name or password in it is not echoed: that part is a secret (and one with a '/' in it
    // does not even parse, so any '@' is taken for one).
    const shown = value.includes('@') ? 'a URL with credentials in it (not shown)' : JSON.stringify(value);
    throw new ConfigError(`${caller}: ${setting} must be an http(s):// URL without query or credentials, such as https://storage.googleapis.com or http://127.0.0.1:9000; received ${shown}`);
  }
  return value;
}
