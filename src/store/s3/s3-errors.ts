import { TfplError } from '../../errors.js';
import type { S3Config } from './s3-config.js';
import { s3Name } from './s3-url.js';
import { xmlText } from './s3-xml.js';

/** What went wrong, to switch on; `s3Code` has S3's own code when it sent one. */
export const OBJECT_STORE_ERROR_REASONS = [
  'signature',
  'invalid-access-key',
  'expired-token',
  'access-denied',
  'wrong-region',
  'no-such-bucket',
  'no-such-key',
  'precondition-failed',
  'invalid-range',
  'unavailable',
  'cancelled',
  'other',
] as const;
export type ObjectStoreErrorReason = (typeof OBJECT_STORE_ERROR_REASONS)[number];

/** The S3 API operations this client sends. */
export type S3Operation =
  | 'HeadObject'
  | 'GetObject'
  | 'ListObjectsV2'
  | 'PutObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'DeleteObject';

/** The IAM permission each operation needs, for "access denied" messages. */
const PERMISSION: Record<S3Operation, string> = {
  HeadObject: 's3:GetObject',
  GetObject: 's3:GetObject',
  ListObjectsV2: 's3:ListBucket',
  PutObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  DeleteObject: 's3:DeleteObject',
};

/** Where an object-store error happened. */
export interface ObjectStoreErrorDetail {
  operation: S3Operation;
  bucket: string;
  key?: string;
  reason: ObjectStoreErrorReason;
  status?: number;
  s3Code?: string;
  requestId?: string;
}

/**
 * An object store (S3, MinIO, R2, GCS) refused or failed a request. The message names the operation, the
 * bucket and key, and what to check (which credentials were used and where they came from, the permission
 * the operation needs, the endpoint and region); `reason` is a stable discriminant and `s3Code` S3's own
 * error code. It never contains a secret access key or a session token.
 *
 * @example
 * try { await location.putFile('_metadata', bytes, { ifMatch: etag }); }
 * catch (err) { if (err instanceof ObjectStoreError && err.reason === 'precondition-failed') retryCommit(); else throw err; }
 */
export class ObjectStoreError extends TfplError {
  readonly operation: S3Operation;
  readonly bucket: string;
  readonly key: string | undefined;
  readonly reason: ObjectStoreErrorReason;
  /** HTTP status, when an answer came. */
  readonly status: number | undefined;
  /** S3's error code (`NoSuchKey`, `SignatureDoesNotMatch`, ...), when the answer had a body. */
  readonly s3Code: string | undefined;
  /** S3's request id, to quote to the provider's support. */
  readonly requestId: string | undefined;
  constructor(message: string, detail: ObjectStoreErrorDetail, options?: { cause?: unknown }) {
    super('ERR_OBJECT_STORE', message, options);
    this.operation = detail.operation;
    this.bucket = detail.bucket;
    this.key = detail.key;
    this.reason = detail.reason;
    this.status = detail.status;
    this.s3Code = detail.s3Code;
    this.requestId = detail.requestId;
  }
}

/** One request, as error messages describe it. */
export interface S3RequestInfo {
  operation: S3Operation;
  bucket: string;
  key?: string;
  config: S3Config;
  /** The conditional headers sent (a 412 says which did not hold). */
  condition?: { ifMatch?: string; ifNoneMatch?: string };
}

/** What an S3 error answer said: its body's fields, or none for HEAD. */
export interface S3ErrorBody {
  code?: string;
  message?: string;
  /** The bucket's region, from `<Region>` or the `x-amz-bucket-region` header. */
  region?: string;
  requestId?: string;
}

/**
 * Reads an error answer (its XML body, if any, and the headers S3 sets on errors).
 *
 * @example
 * if (!res.ok) throw objectStoreError(info, res.status, await s3ErrorBody(res));
 */
export async function s3ErrorBody(res: Response): Promise<S3ErrorBody> {
  const text = res.body ? await res.text().catch(() => '') : '';
  const region = xmlText(text, 'Region') ?? res.headers.get('x-amz-bucket-region') ?? undefined;
  const requestId = xmlText(text, 'RequestId') ?? res.headers.get('x-amz-request-id') ?? undefined;
  return { code: xmlText(text, 'Code'), message: xmlText(text, 'Message'), region, requestId };
}

const SIGNATURE = ['SignatureDoesNotMatch'];
const UNKNOWN_KEY = ['InvalidAccessKeyId'];
const EXPIRED = ['ExpiredToken', 'TokenRefreshRequired', 'InvalidToken'];
const WRONG_REGION = ['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException'];

/**
 * The reason of an answer, from S3's code when there is one, else from the status alone (HEAD has no body).
 *
 * @example
 * reasonOf(403, 'SignatureDoesNotMatch'); // 'signature'
 * reasonOf(403, undefined); // 'access-denied'
 */
export function reasonOf(status: number, code: string | undefined, body: S3ErrorBody = {}): ObjectStoreErrorReason {
  if (code !== undefined) {
    if (SIGNATURE.includes(code)) return 'signature';
    if (UNKNOWN_KEY.includes(code)) return 'invalid-access-key';
    if (EXPIRED.includes(code)) return 'expired-token';
    if (code === 'NoSuchBucket') return 'no-such-bucket';
    if (code === 'NoSuchKey') return 'no-such-key';
    if (code === 'PreconditionFailed' || code === 'ConditionalRequestConflict') return 'precondition-failed';
    if (code === 'InvalidRange') return 'invalid-range';
    if (WRONG_REGION.includes(code) && (code !== 'AuthorizationHeaderMalformed' || body.region !== undefined)) return 'wrong-region';
    if (code === 'AccessDenied' || code === 'AllAccessDisabled') return 'access-denied';
    return 'other';
  }
  if (status === 301 && body.region !== undefined) return 'wrong-region';
  if (status === 403) return 'access-denied';
  if (status === 412) return 'precondition-failed';
  if (status === 416) return 'invalid-range';
  return 'other';
}

function credentialsPhrase(config: S3Config): string {
  const c = config.credentials;
  return c ? `access key ${c.accessKeyId} (from ${config.credentialSource})` : 'no credentials (unsigned request: none in options, the environment or the AWS profile)';
}

/** Where to fix a secret, by where the credentials came from. */
function secretSetting(config: S3Config): string {
  const source = config.credentialSource;
  if (source === 'options') return 's3.credentials.secretAccessKey';
  if (source === 'environment') return 'AWS_SECRET_ACCESS_KEY';
  return `aws_secret_access_key of ${source}`;
}

function idSetting(config: S3Config): string {
  const source = config.credentialSource;
  if (source === 'options') return 's3.credentials.accessKeyId';
  if (source === 'environment') return 'AWS_ACCESS_KEY_ID';
  return `aws_access_key_id of ${source}`;
}

function endpointPhrase(config: S3Config): string {
  const endpoint = config.endpoint === undefined ? `AWS (${config.region})` : `${config.endpoint} (from ${config.endpointFrom})`;
  return `endpoint ${endpoint}, region ${config.region} (from ${config.regionFrom})`;
}

/**
 * The typed error of an S3 error answer: a message that names the operation, bucket and key, says what
 * happened and what to check; never a secret (the message is also scrubbed of the secret and token, in
 * case a server echoed a signed header).
 *
 * @example
 * throw objectStoreError({ operation: 'GetObject', bucket: 'b', key: 'k', config }, 403, { code: 'AccessDenied' });
 */
export function objectStoreError(info: S3RequestInfo, status: number, body: S3ErrorBody = {}): ObjectStoreError {
  const { operation, bucket, key, config } = info;
  const reason = reasonOf(status, body.code, body);
  const target = operation === 'ListObjectsV2' ? `${s3Name(bucket, key)} (bucket ${bucket})` : s3Name(bucket, key);
  const answered = `${operation} ${target} was answered ${status}${body.code ? ` ${body.code}` : ''}`;
  const permission = PERMISSION[operation];
  let advice: string;
  switch (reason) {
    case 'signature':
      advice =
        config.credentials === null
          ? 'the request was unsigned, yet the service checked a signature; check the endpoint'
          : `the secret access key does not match ${credentialsPhrase(config)}; check ${secretSetting(config)} (or a proxy in between changed the request's path, query or Host)`;
      break;
    case 'invalid-access-key':
      advice = `${credentialsPhrase(config)} is unknown to ${endpointPhrase(config)}; check ${idSetting(config)}, and that the endpoint is the service the key belongs to`;
      break;
    case 'expired-token':
      advice = `the session token of ${credentialsPhrase(config)} has expired or is invalid; refresh the temporary credentials (e.g. aws sso login, or export new ones)`;
      break;
    case 'access-denied':
      advice =
        config.credentials === null
          ? `the request was unsigned (no credentials found in options, the environment or the AWS profile) and the bucket does not allow anonymous ${permission}; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or pass s3.credentials`
          : `${credentialsPhrase(config)} is not allowed ${permission} on ${target}; grant it in the IAM or bucket policy` +
            (operation === 'HeadObject' || operation === 'GetObject' ? ` (S3 also answers 403 for a missing key when the caller lacks s3:ListBucket)` : '') +
            (status === 403 && body.code === undefined ? '; the answer had no body: wrong or expired credentials give the same 403' : '');
      break;
    case 'wrong-region':
      advice = `bucket ${bucket} is in region ${body.region ?? '(not said)'}, but requests were signed for ${config.region} (from ${config.regionFrom}); set AWS_REGION=${body.region ?? '<the bucket region>'} or s3.region`;
      break;
    case 'no-such-bucket':
      advice = `bucket ${bucket} does not exist at ${endpointPhrase(config)}; check the bucket name in the store URL, and AWS_REGION / AWS_ENDPOINT_URL (or s3.region / s3.endpoint)`;
      break;
    case 'no-such-key':
      advice = `there is no object ${key === undefined ? '' : JSON.stringify(key)} in bucket ${bucket}`;
      break;
    case 'precondition-failed':
      advice =
        operation === 'GetObject' || operation === 'HeadObject'
          ? `${target} changed since it was opened (its ETag was ${info.condition?.ifMatch ?? 'pinned'}); open the store again to read the new version`
          : `another writer changed ${target} first (${conditionPhrase(info)} did not hold); read its current version and retry the commit`;
      break;
    case 'invalid-range':
      advice = `the bytes asked for lie outside ${target}; it is shorter than expected (truncated, or replaced by a smaller object)`;
      break;
    default:
      advice = body.message ? `the service said: ${body.message}` : `check ${endpointPhrase(config)}`;
  }
  // Everything the server sent is scrubbed, not only the message: a hostile or broken proxy may echo a signed header anywhere.
  const clean = <T extends string | undefined>(s: T): T => (s === undefined || config.credentials === null ? s : (config.credentials.redact(s) as T));
  const message = `${answered}: ${advice}${body.requestId ? ` (request id ${body.requestId})` : ''}`;
  return new ObjectStoreError(clean(message), { operation, bucket, key, reason, status, s3Code: clean(body.code), requestId: clean(body.requestId) });
}

function conditionPhrase(info: S3RequestInfo): string {
  const c = info.condition ?? {};
  if (c.ifNoneMatch !== undefined) return `If-None-Match: ${c.ifNoneMatch}`;
  if (c.ifMatch !== undefined) return `If-Match: ${c.ifMatch}`;
  return 'its condition';
}

/**
 * The typed error of a request that got no usable answer: retries ran out (network failures, 5xx, a body
 * cut short), or the caller cancelled. `remoteRequest`'s reason already names the attempts and the last cause.
 *
 * @example
 * remoteRequest(ctx, what, url, init, read, (why, cause) => objectStoreFailure(info, why, cause, ctx.signal));
 */
export function objectStoreFailure(info: S3RequestInfo, why: string, cause: unknown, signal?: AbortSignal): ObjectStoreError {
  const reason: ObjectStoreErrorReason = signal?.aborted ? 'cancelled' : 'unavailable';
  const message = `${why}${reason === 'unavailable' ? ` (${endpointPhrase(info.config)})` : ''}`;
  return new ObjectStoreError(info.config.credentials?.redact(message) ?? message, { operation: info.operation, bucket: info.bucket, key: info.key, reason }, { cause });
}
