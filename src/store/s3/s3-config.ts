import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { parseOptions } from '../../options.js';
import { AwsCredentials, type CredentialSource } from './s3-credentials.js';
import { checkEndpoint, type AwsSharedConfig } from './s3-shared-config.js';
import type { S3Addressing } from './s3-url.js';

/**
 * How an `s3://` store is reached. Declared once; every field is optional and falls back to what the AWS
 * tools would use (Node: the environment and `~/.aws`, see `awsSharedConfig`; a browser: these options only).
 */
export const s3OptionsShape = {
  /** Signing region. Default: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else `us-east-1` (R2: `auto`). */
  region: z.string().min(1).optional(),
  /**
   * An S3-compatible service: `http(s)://host[:port][/path]` (MinIO `http://127.0.0.1:9000`, R2
   * `https://<account>.r2.cloudflarestorage.com`, GCS `https://storage.googleapis.com`). Default:
   * `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, else AWS
   * (`https://<bucket>.s3.<region>.amazonaws.com`).
   */
  endpoint: z.string().min(1).optional(),
  /**
   * An access key. Default: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, else the
   * profile's keys, else none: requests go unsigned (public buckets, pre-authorised endpoints).
   */
  credentials: z
    .strictObject({
      accessKeyId: z.string().min(1),
      secretAccessKey: z.string().min(1),
      sessionToken: z.string().min(1).optional(),
    })
    .optional(),
  /** `<endpoint>/<bucket>/<key>` (true) or `<bucket>.<host>/<key>` (false). Default: path-style for a custom endpoint, virtual-hosted for AWS. */
  forcePathStyle: z.boolean().optional(),
  /** The profile of `~/.aws/credentials` and `~/.aws/config` to read (Node only). Default: `AWS_PROFILE`, else `default`. */
  profile: z.string().min(1).optional(),
};

/**
 * The zod schema of `S3Options`.
 *
 * @example
 * const withS3 = z.strictObject({ s3: s3OptionsSchema.optional() });
 */
export const s3OptionsSchema: z.ZodObject<typeof s3OptionsShape, z.core.$strict> = z.strictObject(s3OptionsShape);

/** How an `s3://` store is reached (region, endpoint, credentials, addressing, profile); see `s3OptionsShape`. */
export type S3Options = z.input<typeof s3OptionsSchema>;

/** Option paths never echoed in a `ConfigError` (relative to the `s3` options; prefix them with `s3.` when nested). */
export const S3_SECRET_PATHS = ['credentials', 'credentials.secretAccessKey', 'credentials.sessionToken'] as const;

/**
 * Checks `S3Options` (a `ConfigError` naming the option; never echoing a secret).
 *
 * @example
 * parseS3Options('s3Location', { region: 'eu-west-1' });
 */
export function parseS3Options(caller: string, options: unknown): S3Options {
  return parseOptions(caller, s3OptionsSchema, options ?? {}, S3_SECRET_PATHS);
}

/** Everything a request needs to reach a bucket and sign for it, and where each part came from (for messages). */
export interface S3Config extends S3Addressing {
  /** Null: requests go unsigned. */
  readonly credentials: AwsCredentials | null;
  readonly credentialSource: CredentialSource;
  readonly regionFrom: string;
  /** `'AWS'` when there is no custom endpoint. */
  readonly endpointFrom: string;
}

/**
 * Merges explicit options over what the platform found (`shared`: Node's `awsSharedConfig()`; null in a
 * browser, where only options apply). Option by option: options, then `shared`, then the default.
 *
 * @example
 * const config = resolveS3Config({ endpoint: 'http://127.0.0.1:9000' }, await awsSharedConfig());
 * config.forcePathStyle; // undefined: path-style, because the endpoint is custom
 */
export function resolveS3Config(options: S3Options | undefined, shared: AwsSharedConfig | null, caller = 's3Location'): S3Config {
  const o = parseS3Options(caller, options);
  if (o.profile !== undefined && shared === null) {
    throw new ConfigError(`${caller}: s3.profile needs the shared AWS files, which only Node reads; in a browser pass s3.credentials`);
  }
  if (o.profile !== undefined && shared !== null && shared.profile !== o.profile) {
    throw new ConfigError(`${caller}: s3.profile is ${JSON.stringify(o.profile)} but the shared config was read for profile ${JSON.stringify(shared.profile)}; call awsSharedConfig(env, { profile: ${JSON.stringify(o.profile)} })`);
  }
  const credentials = o.credentials ? new AwsCredentials(o.credentials, 'options') : (shared?.credentials ?? null);
  const region = o.region !== undefined ? { value: o.region, from: 'options' } : (shared?.region ?? { value: 'us-east-1', from: 'default' });
  const endpoint = o.endpoint !== undefined ? { value: checkEndpoint(o.endpoint, 's3.endpoint', caller), from: 'options' } : shared?.endpoint;
  const pathStyle = o.forcePathStyle !== undefined ? o.forcePathStyle : shared?.forcePathStyle?.value;
  return {
    region: region.value,
    regionFrom: region.from,
    endpoint: endpoint?.value,
    endpointFrom: endpoint?.from ?? 'AWS',
    forcePathStyle: pathStyle,
    credentials,
    credentialSource: credentials?.source ?? 'anonymous',
  };
}
