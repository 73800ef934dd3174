import { ConfigError } from '../../errors.js';

/**
 * Where requests go: `s3://bucket/prefix` URLs, object keys made into request URLs (path-style or
 * virtual-hosted), and S3's URI encoding, which must be byte for byte what the signer hashes.
 */

/** A parsed `s3://bucket/prefix`: `prefix` is empty (the whole bucket) or ends with `/`. */
export interface S3Url {
  readonly bucket: string;
  readonly prefix: string;
}

// AWS's rule (3 to 63 lower-case letters, digits, dots, hyphens) widened to what S3-compatible stores accept:
// GCS takes underscores and names up to 222 characters, old us-east-1 buckets upper-case letters.
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,220}[A-Za-z0-9]$/;

/**
 * Parses `s3://bucket/prefix` (the prefix is taken as written: S3 keys are not percent-decoded); a
 * malformed one is a `ConfigError` naming the caller and the URL.
 *
 * @example
 * parseS3Url('s3://my-bucket/stores/btc'); // { bucket: 'my-bucket', prefix: 'stores/btc/' }
 */
export function parseS3Url(url: string, caller = 's3Location'): S3Url {
  const m = /^s3:\/\/([^/?#]*)(?:\/(.*))?$/i.exec(url);
  if (!m) throw new ConfigError(`${caller}: store URL must look like s3://bucket/prefix; received ${JSON.stringify(url)}`);
  const bucket = m[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    throw new ConfigError(
      `${caller}: ${JSON.stringify(bucket)} in ${url} is not a bucket name: 3 to 222 letters, digits, dots, hyphens or underscores, starting and ending with a letter or digit`,
    );
  }
  const raw = (m[2] ?? '').replace(/^\/+/, '');
  const prefix = raw === '' || raw.endsWith('/') ? raw : `${raw}/`;
  checkKey(prefix, caller);
  return { bucket, prefix };
}

/**
 * A key as S3 wants it in a request path: every byte but `A-Z a-z 0-9 - _ . ~` percent-encoded in each `/`
 * segment (AWS's "URI-encode each path segment"), the encoding aws4fetch signs, so a key with spaces,
 * `+`, `(` or non-ASCII letters is signed as it is sent.
 *
 * @example
 * encodeKey('btc/part 0+1.parquet'); // 'btc/part%200%2B1.parquet'
 */
export function encodeKey(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

/**
 * `encodeURIComponent` plus the five characters it leaves that RFC 3986 (and SigV4) reserve.
 *
 * @example
 * encodeRfc3986("a(1)!"); // 'a%281%29%21'
 */
export function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Refuses keys a URL cannot carry as they are: URL parsers remove `.` and `..` segments (even percent-encoded).
 *
 * @example
 * checkKey('btc/../x'); // throws ConfigError
 */
export function checkKey(key: string, caller = 's3'): void {
  if (key.split('/').some((s) => s === '.' || s === '..')) {
    throw new ConfigError(`${caller}: key ${JSON.stringify(key)} has a "." or ".." segment, which no HTTP request can carry unchanged; rename the object`);
  }
}

/** How requests reach a bucket: the endpoint (none: AWS in `region`) and the addressing style. */
export interface S3Addressing {
  readonly region: string;
  /** `http(s)://host[:port][/path]` of an S3-compatible service; undefined for AWS. */
  readonly endpoint: string | undefined;
  /** `<endpoint>/<bucket>/<key>` instead of `<bucket>.<host>/<key>`; undefined: path-style for a custom endpoint, virtual-hosted for AWS. */
  readonly forcePathStyle: boolean | undefined;
}

// Virtual-hosted names need a DNS label that TLS wildcard certificates cover: no dots, no upper case, no underscores.
const DNS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** The AWS endpoint of a region (China's regions live under amazonaws.com.cn). */
function awsHost(region: string): string {
  return `s3.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/**
 * The request URL of a bucket (`key` undefined: for ListObjectsV2) or of one object, with a query made of
 * `query`'s pairs encoded as SigV4 canonicalises them (so `+`, `=` and `/` in a continuation token survive).
 *
 * @example
 * objectUrl({ region: 'eu-west-1', endpoint: undefined, forcePathStyle: undefined }, 'b', 'btc/a.parquet');
 * // 'https://b.s3.eu-west-1.amazonaws.com/btc/a.parquet'
 * objectUrl({ region: 'auto', endpoint: 'http://127.0.0.1:9000', forcePathStyle: undefined }, 'b', undefined, { 'list-type': '2' });
 * // 'http://127.0.0.1:9000/b?list-type=2'
 */
export function objectUrl(at: S3Addressing, bucket: string, key?: string, query: Record<string, string> = {}): string {
  if (key !== undefined) checkKey(key);
  const base = new URL(at.endpoint ?? `https://${awsHost(at.region)}`);
  const root = base.pathname.replace(/\/+$/, '');
  const pathStyle = at.forcePathStyle ?? (at.endpoint !== undefined || !DNS_BUCKET.test(bucket));
  const host = pathStyle ? base.host : `${bucket}.${base.host}`;
  const path = `${root}${pathStyle ? `/${encodeRfc3986(bucket)}` : ''}${key === undefined ? (pathStyle ? '' : '/') : `/${encodeKey(key)}`}`;
  const search = Object.entries(query)
    .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
    .join('&');
  return `${base.protocol}//${host}${path}${search ? `?${search}` : ''}`;
}

/**
 * What a request addresses, for messages: `s3://bucket/key`.
 *
 * @example
 * s3Name('b', 'btc/a.parquet'); // 's3://b/btc/a.parquet'
 */
export function s3Name(bucket: string, key = ''): string {
  return `s3://${bucket}/${key}`;
}
