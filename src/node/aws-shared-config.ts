import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { sharedConfigFrom, type AwsSharedConfig, type SharedFile } from '../store/s3/s3-shared-config.js';

/**
 * What the AWS tools would find in Node: the environment (`AWS_ACCESS_KEY_ID`, `AWS_REGION`,
 * `AWS_ENDPOINT_URL`, ...) and the profile (`AWS_PROFILE` or `options.profile`, default `default`) of the
 * shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`) and config file
 * (`AWS_CONFIG_FILE`, default `~/.aws/config`). Missing files are fine; unreadable ones are a `ConfigError`.
 * The browser build has no twin of this: there, only explicit options apply.
 *
 * @example
 * const location = s3Location('s3://my-bucket/btc', { shared: await awsSharedConfig() });
 * @example
 * await awsSharedConfig({ ...process.env, AWS_CONFIG_FILE: '/tmp/aws-config' }, { profile: 'minio' });
 */
export async function awsSharedConfig(env: Readonly<Record<string, string | undefined>> = process.env, options: { profile?: string } = {}): Promise<AwsSharedConfig> {
  const home = env.HOME || env.USERPROFILE || homedir();
  const pathOf = (variable: string, fallback: string) => {
    const set = env[variable]?.trim();
    // The AWS CLI expands a leading ~ in these variables too.
    return set ? set.replace(/^~(?=$|[/\\])/, home) : join(home, '.aws', fallback);
  };
  const [credentialsFile, configFile] = await Promise.all([readShared(pathOf('AWS_SHARED_CREDENTIALS_FILE', 'credentials')), readShared(pathOf('AWS_CONFIG_FILE', 'config'))]);
  return sharedConfigFrom({ env, credentialsFile, configFile, ...(options.profile === undefined ? {} : { profile: options.profile }) });
}

async function readShared(path: string): Promise<SharedFile> {
  try {
    return { path, text: await readFile(path, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, text: null };
    throw new ConfigError(`s3: cannot read the AWS shared file ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix its permissions, or point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE elsewhere`, { cause: err });
  }
}
