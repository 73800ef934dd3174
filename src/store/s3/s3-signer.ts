import { AwsV4Signer } from 'aws4fetch';
import type { AwsCredentials } from './s3-credentials.js';

/**
 * A `fetch` that signs each call with AWS Signature V4 (aws4fetch's signer, WebCrypto: Node and browsers)
 * and sends it with `base`; with no credentials it sends requests unsigned (public buckets, pre-authorised
 * endpoints). `remoteRequest` calls it once per attempt, so every retry carries a fresh `x-amz-date`: a
 * request retried after minutes is not refused as too old. aws4fetch's own `AwsClient.fetch` is not used:
 * it retries by itself (10 times by default), under no deadline and uncounted.
 *
 * The payload is sent as `UNSIGNED-PAYLOAD` (aws4fetch's default for S3): hashing each part before sending
 * would read it twice, and TLS already protects it in transit.
 *
 * @example
 * const doFetch = signingFetch(globalThis.fetch, config.credentials, config.region);
 * const res = await doFetch('https://b.s3.eu-west-1.amazonaws.com/btc/a.parquet', { method: 'HEAD' });
 */
export function signingFetch(base: typeof globalThis.fetch, credentials: AwsCredentials | null, region: string): typeof globalThis.fetch {
  if (credentials === null) return (input, init) => base(input, init);
  // Derived signing keys, one per day and region; kept in this closure, never on an object someone may log.
  const cache = new Map<string, ArrayBuffer>();
  return async (input, init = {}) => {
    if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('signingFetch takes a URL, not a Request');
    const url = String(input);
    const { accessKeyId, secretAccessKey, sessionToken } = credentials.reveal();
    const signer = new AwsV4Signer({ url, method: init.method ?? 'GET', headers: init.headers, accessKeyId, secretAccessKey, sessionToken, service: 's3', region, cache });
    const signed = await signer.sign();
    return base(url, { ...init, headers: signed.headers });
  };
}
