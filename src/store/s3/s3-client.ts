import { mapLimit } from '../map-limit.js';
import { readBody, remoteRequest, TransientFailure, type FetchStats, type RemoteContext, type RetryPolicy } from '../remote-request.js';
import type { S3Config } from './s3-config.js';
import { ObjectStoreError, objectStoreError, objectStoreFailure, s3ErrorBody, type S3Operation, type S3RequestInfo } from './s3-errors.js';
import { listPage, type S3ObjectSummary } from './s3-list.js';
import { signingFetch } from './s3-signer.js';
import { objectUrl, s3Name } from './s3-url.js';
import { xmlText } from './s3-xml.js';

/** What `S3Client` needs besides its config: how to send and count requests (shared with the rest of a store). */
export interface S3ClientContext {
  /** The `fetch` signed requests are sent with. Default: the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  stats: FetchStats;
  retry: RetryPolicy;
  /** Each attempt, its answer's body included, fails after this many ms. */
  timeoutMs: number;
  /** Ends every request at once (the caller gave up). */
  signal?: AbortSignal;
}

/** An object's size and version, from HEAD. */
export interface S3ObjectHead {
  byteLength: number;
  /** The ETag as S3 sends it, quotes included (`"9b2c..."`), or undefined when the service sent none. */
  etag: string | undefined;
  lastModified: Date | undefined;
}

/** Conditions of a write, as S3 honours them: `ifNoneMatch: '*'` creates only, `ifMatch: etag` replaces only that version. */
export interface WriteCondition {
  ifMatch?: string;
  ifNoneMatch?: '*';
}

/** A part of a multipart upload, as `completeMultipartUpload` lists it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

/**
 * ETags are quoted strings (RFC 9110); some services send them bare, and `If-Match` needs the quotes.
 *
 * @example
 * quoteEtag('9b2cf535'); // '"9b2cf535"'
 */
export function quoteEtag(etag: string): string {
  const t = etag.trim();
  return t.startsWith('"') || t.startsWith('W/') ? t : `"${t}"`;
}

/** Status codes S3 answers with success for each method. */
const OK: Record<string, number[]> = { PUT: [200], POST: [200], DELETE: [204, 200] };

/**
 * One bucket of S3 (or MinIO, R2, GCS through their S3 API): HEAD, ranged GET, ListObjectsV2, PUT, multipart
 * upload and DELETE, each sent through `remoteRequest` (signed afresh per attempt, counted in `stats`,
 * retried on 408/429/5xx and network failures, never on 4xx), each failure an `ObjectStoreError`.
 *
 * @example
 * const client = new S3Client('my-bucket', resolveS3Config({}, await awsSharedConfig()), { stats: newFetchStats(), retry: DEFAULT_RETRY, timeoutMs: 30_000 });
 * const head = await client.headObject('btc/part-00000.parquet');
 * const footer = await client.getRange('btc/part-00000.parquet', head!.byteLength - 8, head!.byteLength, { ifMatch: head!.etag });
 */
export class S3Client {
  readonly bucket: string;
  readonly config: S3Config;
  readonly stats: FetchStats;
  readonly #ctx: RemoteContext;

  constructor(bucket: string, config: S3Config, context: S3ClientContext) {
    this.bucket = bucket;
    this.config = config;
    this.stats = context.stats;
    const base = context.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#ctx = {
      fetch: signingFetch(base, config.credentials, config.region),
      stats: context.stats,
      retry: context.retry,
      timeoutMs: context.timeoutMs,
      ...(context.signal ? { signal: context.signal } : {}),
    };
  }

  /** `s3://bucket/key`, for messages. */
  nameOf(key: string): string {
    return s3Name(this.bucket, key);
  }

  /** Sends one request through `remoteRequest`; `read` sees only answers retrying would not change. `signal` ends this one too. */
  #send<T>(info: Omit<S3RequestInfo, 'config' | 'bucket'>, what: string, url: string, init: RequestInit, read: (res: Response) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const full: S3RequestInfo = { ...info, bucket: this.bucket, config: this.config };
    const own = this.#ctx.signal;
    const ctx = signal ? { ...this.#ctx, signal: own ? AbortSignal.any([own, signal]) : signal } : this.#ctx;
    return remoteRequest(ctx, `S3 ${info.operation} ${s3Name(this.bucket, info.key)}${what}`, url, init, read, (why, cause) => objectStoreFailure(full, why, cause, ctx.signal));
  }

  #url(key?: string, query?: Record<string, string>): string {
    return objectUrl(this.config, this.bucket, key, query);
  }

  #info(operation: S3Operation, key?: string, condition?: S3RequestInfo['condition']): S3RequestInfo {
    return { operation, bucket: this.bucket, key, config: this.config, ...(condition ? { condition } : {}) };
  }

  /** Throws the typed error of a non-success answer. */
  async #expect(res: Response, info: S3RequestInfo, ok: number[]): Promise<void> {
    if (ok.includes(res.status)) return;
    throw objectStoreError(info, res.status, await s3ErrorBody(res));
  }

  /** A deletion's answer: a missing key or upload is already what was wanted, a missing bucket is not. */
  async #expectDeleted(res: Response, info: S3RequestInfo): Promise<void> {
    if (res.status === 404) {
      const body = await s3ErrorBody(res);
      if (body.code === 'NoSuchBucket') throw objectStoreError(info, 404, body);
      return;
    }
    await this.#expect(res, info, OK.DELETE!);
    await res.body?.cancel().catch(() => {});
  }

  /**
   * Size, ETag and Last-Modified of an object, or null when it does not exist. A refused HEAD has no body
   * to say why, so the same key is asked again with a one-byte GET whose error body does.
   *
   * @example
   * const head = await client.headObject('btc/_metadata'); // { byteLength: 5123, etag: '"9b2c..."', lastModified: Date }
   */
  async headObject(key: string): Promise<S3ObjectHead | null> {
    const info = this.#info('HeadObject', key);
    const res = await this.#send(info, '', this.#url(key), { method: 'HEAD' }, async (r) => r);
    if (res.status === 404) return null;
    if (res.status !== 200) throw await this.#explainHead(key, res.status);
    const length = Number(res.headers.get('content-length'));
    if (res.headers.get('content-length') === null || !Number.isSafeInteger(length) || length < 0) {
      throw new ObjectStoreError(`HeadObject ${this.nameOf(key)} gave no Content-Length; the loader needs the object size to read its footer`, { ...info, reason: 'other', status: res.status });
    }
    const etag = res.headers.get('etag');
    const modified = res.headers.get('last-modified');
    return { byteLength: length, etag: etag ? quoteEtag(etag) : undefined, lastModified: modified ? new Date(modified) : undefined };
  }

  async #explainHead(key: string, status: number): Promise<ObjectStoreError> {
    const info = this.#info('HeadObject', key);
    const why = await this.#send(info, ' (asking why HEAD was refused)', this.#url(key), { headers: { range: 'bytes=0-0' } }, async (r) => (r.ok ? null : { status: r.status, body: await s3ErrorBody(r) })).catch(() => null);
    // The GET's status goes with its code (S3 answers an expired token 400 to GET, a bare 403 or 400 to HEAD).
    return why?.body.code !== undefined ? objectStoreError(info, why.status, why.body) : objectStoreError(info, status, why?.body ?? {});
  }

  /**
   * Bytes `[start, end)` of an object by a ranged GET (206 with exactly `end - start` bytes; a shorter body is
   * retried). With `ifMatch`, a changed object fails with reason `'precondition-failed'` instead of mixing versions.
   *
   * @example
   * const tail = await client.getRange('btc/part-00000.parquet', size - 8, size, { ifMatch: etag });
   */
  async getRange(key: string, start: number, end: number, options: { ifMatch?: string } = {}): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const info = this.#info('GetObject', key, options.ifMatch ? { ifMatch: options.ifMatch } : undefined);
    const headers: Record<string, string> = { range: `bytes=${start}-${end - 1}` };
    if (options.ifMatch) headers['if-match'] = options.ifMatch;
    return this.#send(info, ` bytes ${start}-${end - 1}`, this.#url(key), { headers }, async (res) => {
      if (res.status === 200) {
        // A whole-object answer is what was asked for only when the range is the whole object; else it is not downloaded.
        const whole = start === 0 ? await readBody(res, this.stats) : undefined;
        if (whole?.length === end) return whole;
        await res.body?.cancel().catch(() => {});
        throw new ObjectStoreError(`GetObject ${this.nameOf(key)} bytes ${start}-${end - 1}: the service ignored the Range header (it sent the whole object); it is not S3-compatible for reads`, { ...info, reason: 'other', status: 200 });
      }
      await this.#expect(res, info, [206]);
      return readBody(res, this.stats, end - start);
    });
  }

  /**
   * The whole object unless its ETag is still `etag` (`If-None-Match`: a 304 answer, no body): null when it is
   * unchanged, `{ bytes: null }` when it does not exist. Without `etag` it is fetched whole.
   *
   * @example
   * const got = await client.getObjectIfChanged('btc/_metadata', '"9b2c..."'); // null: unchanged
   */
  async getObjectIfChanged(key: string, etag: string | null, signal?: AbortSignal): Promise<{ bytes: Uint8Array | null; etag: string | undefined; lastModified: Date | undefined } | null> {
    const info = this.#info('GetObject', key);
    const headers: Record<string, string> = etag === null ? {} : { 'if-none-match': quoteEtag(etag) };
    return this.#send(info, etag === null ? '' : ` If-None-Match ${quoteEtag(etag)}`, this.#url(key), { headers, cache: 'no-store' }, async (res) => {
      if (res.status === 304) {
        await res.body?.cancel().catch(() => {});
        return null;
      }
      if (res.status === 404) {
        const body = await s3ErrorBody(res);
        if (body.code === 'NoSuchBucket') throw objectStoreError(info, 404, body);
        return { bytes: null, etag: undefined, lastModified: undefined };
      }
      await this.#expect(res, info, [200]);
      const got = res.headers.get('etag');
      const modified = res.headers.get('last-modified');
      return { bytes: await readBody(res, this.stats), etag: got ? quoteEtag(got) : undefined, lastModified: modified ? new Date(modified) : undefined };
    }, signal);
  }

  /**
   * Every object whose key starts with `prefix` (all levels), in S3's key order, by ListObjectsV2 pages of
   * `pageSize` keys (at most 1,000) followed through their continuation tokens.
   *
   * @example
   * const objects = await client.list('btc/'); // [{ key: 'btc/_metadata', size: 5123, etag: '"..."', lastModified: Date }, ...]
   */
  async list(prefix: string, options: { pageSize?: number } = {}): Promise<S3ObjectSummary[]> {
    const info = this.#info('ListObjectsV2', prefix);
    const out: S3ObjectSummary[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (let page = 1; ; page++) {
      const query: Record<string, string> = { 'list-type': '2', prefix, 'max-keys': String(options.pageSize ?? 1000) };
      if (token !== undefined) query['continuation-token'] = token;
      const result = await this.#send(info, ` page ${page}`, this.#url(undefined, query), {}, async (res) => {
        await this.#expect(res, info, [200]);
        const text = new TextDecoder().decode(await readBody(res, this.stats));
        try {
          return listPage(text);
        } catch (err) {
          throw new ObjectStoreError(`ListObjectsV2 ${this.nameOf(prefix)} page ${page}: the answer is not a listing (${(err as Error).message}); check the endpoint`, { ...info, reason: 'other', status: res.status }, { cause: err });
        }
      });
      out.push(...result.objects);
      if (!result.truncated) return out;
      if (result.nextToken === undefined || seen.has(result.nextToken)) {
        throw new ObjectStoreError(`ListObjectsV2 ${this.nameOf(prefix)} page ${page} said more keys follow but gave ${result.nextToken === undefined ? 'no' : 'a repeated'} continuation token; the service's listing is broken`, { ...info, reason: 'other', status: 200 });
      }
      seen.add(result.nextToken);
      token = result.nextToken;
    }
  }

  /**
   * Writes an object in one PUT; with a condition, a lost race fails with reason `'precondition-failed'`
   * (S3 honours `If-None-Match: *` and `If-Match`; some S3-compatible services ignore them).
   *
   * @example
   * const { etag } = await client.putObject('btc/_metadata', bytes, { ifMatch: previousEtag });
   */
  async putObject(key: string, bytes: Uint8Array, condition: WriteCondition = {}): Promise<{ etag: string }> {
    const info = this.#info('PutObject', key, condition);
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', ...conditionHeaders(condition) };
    return this.#send(info, ` (${bytes.length} bytes)`, this.#url(key), { method: 'PUT', headers, body: bytes as Uint8Array<ArrayBuffer> }, (res) => this.#etagOf(res, info));
  }

  async #etagOf(res: Response, info: S3RequestInfo): Promise<{ etag: string }> {
    await this.#expect(res, info, OK.PUT!);
    await res.body?.cancel().catch(() => {});
    const etag = res.headers.get('etag');
    if (!etag) throw new ObjectStoreError(`${info.operation} ${this.nameOf(info.key ?? '')} gave no ETag`, { ...info, reason: 'other', status: res.status });
    return { etag: quoteEtag(etag) };
  }

  /**
   * Starts a multipart upload; returns its upload id.
   *
   * @example
   * const uploadId = await client.createMultipartUpload('btc/part-00001.parquet');
   */
  async createMultipartUpload(key: string): Promise<string> {
    const info = this.#info('CreateMultipartUpload', key);
    return this.#send(info, '', this.#url(key, { uploads: '' }), { method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, async (res) => {
      await this.#expect(res, info, OK.POST!);
      const id = xmlText(await res.text(), 'UploadId');
      if (!id) throw new ObjectStoreError(`CreateMultipartUpload ${this.nameOf(key)} gave no UploadId`, { ...info, reason: 'other', status: res.status });
      return id;
    });
  }

  /**
   * Uploads part `partNumber` (1 to 10,000; at least 5 MiB except the last); returns its ETag.
   *
   * @example
   * const part = { partNumber: 1, etag: (await client.uploadPart(key, uploadId, 1, bytes)).etag };
   */
  async uploadPart(key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<{ etag: string }> {
    const info = this.#info('UploadPart', key);
    const url = this.#url(key, { partNumber: String(partNumber), uploadId });
    return this.#send(info, ` part ${partNumber} (${bytes.length} bytes)`, url, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer> }, (res) => this.#etagOf(res, info));
  }

  /**
   * Joins the parts into the object; `condition` as for `putObject`. S3 may answer 200 with an error
   * inside: an internal one is retried, the others thrown typed.
   *
   * @example
   * const { etag } = await client.completeMultipartUpload(key, uploadId, parts, { ifNoneMatch: '*' });
   */
  async completeMultipartUpload(key: string, uploadId: string, parts: readonly UploadedPart[], condition: WriteCondition = {}): Promise<{ etag: string }> {
    const info = this.#info('CompleteMultipartUpload', key, condition);
    const xml = `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const init = { method: 'POST', headers: { 'content-type': 'application/xml', ...conditionHeaders(condition) }, body: xml };
    return this.#send(info, ` (${parts.length} parts)`, this.#url(key, { uploadId }), init, async (res) => {
      await this.#expect(res, info, OK.POST!);
      const text = await res.text();
      const code = /<Error[\s>]/.test(text) ? xmlText(text, 'Code') : undefined;
      if (code === 'InternalError' || code === 'SlowDown' || code === 'ServiceUnavailable') throw new TransientFailure(`answered 200 with ${code} inside`);
      if (code !== undefined) throw objectStoreError(info, 200, { code, message: xmlText(text, 'Message'), requestId: xmlText(text, 'RequestId') });
      const etag = xmlText(text, 'ETag') ?? res.headers.get('etag');
      if (!etag) throw new ObjectStoreError(`CompleteMultipartUpload ${this.nameOf(key)} gave no ETag`, { ...info, reason: 'other', status: 200 });
      return { etag: quoteEtag(etag) };
    });
  }

  /**
   * Abandons a multipart upload and its parts (an upload already gone is fine).
   *
   * @example
   * await client.abortMultipartUpload(key, uploadId);
   */
  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    const info = this.#info('AbortMultipartUpload', key);
    await this.#send(info, '', this.#url(key, { uploadId }), { method: 'DELETE' }, (res) => this.#expectDeleted(res, info));
  }

  /**
   * Deletes one object (a missing one is fine, as in S3; a missing bucket is not).
   *
   * @example
   * await client.deleteObject('btc/.tmp-part-00003.parquet');
   */
  async deleteObject(key: string): Promise<void> {
    const info = this.#info('DeleteObject', key);
    await this.#send(info, '', this.#url(key), { method: 'DELETE' }, (res) => this.#expectDeleted(res, info));
  }

  /**
   * Deletes objects one DELETE each, `concurrency` at a time. Not the batch `?delete` POST: that one needs a
   * Content-MD5 (or checksum) header, which WebCrypto cannot compute (no MD5), and GCS's S3 API lacks it.
   *
   * @example
   * await client.deleteObjects(['btc/a.parquet', 'btc/b.parquet']);
   */
  async deleteObjects(keys: readonly string[], concurrency = 8): Promise<void> {
    await mapLimit(keys, concurrency, (key) => this.deleteObject(key));
  }
}

function conditionHeaders(condition: WriteCondition): Record<string, string> {
  const headers: Record<string, string> = {};
  if (condition.ifMatch !== undefined) headers['if-match'] = quoteEtag(condition.ifMatch);
  if (condition.ifNoneMatch !== undefined) headers['if-none-match'] = condition.ifNoneMatch;
  return headers;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
