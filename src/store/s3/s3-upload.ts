import { ConfigError } from '../../errors.js';
import type { S3Client, UploadedPart, WriteCondition } from './s3-client.js';

/** S3's smallest part (every part but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** The default part size: few enough requests for a large file, little memory held per upload. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** How `uploadChunks` writes. */
export interface UploadOptions extends WriteCondition {
  /** Bytes per part (>= 5 MiB); a stream no longer than this goes in one PUT. Default 8 MiB. */
  partSize?: number;
}

/** What an upload wrote. */
export interface UploadResult {
  etag: string;
  byteLength: number;
  /** 0 for a single PUT, else the number of parts. */
  parts: number;
}

/**
 * Writes a stream of chunks as one object: a single PUT when it all fits in one part, else a multipart upload
 * whose parts are exactly `partSize` bytes but the last; on any failure the multipart upload is aborted
 * (a failed abort leaves the parts to the bucket's AbortIncompleteMultipartUpload lifecycle rule) and the
 * first error is thrown. A condition applies to the single PUT or to the completion, so the object appears
 * only if it still holds.
 *
 * @example
 * const { etag } = await uploadChunks(client, 'btc/part-00004.parquet', writer.chunks(), { ifNoneMatch: '*' });
 */
export async function uploadChunks(client: S3Client, key: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: UploadOptions = {}): Promise<UploadResult> {
  const partSize = options.partSize ?? DEFAULT_PART_SIZE;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw new ConfigError(`uploadChunks: partSize must be an integer >= ${MIN_PART_SIZE} (5 MiB, S3's smallest part); received ${partSize}`);
  }
  const condition: WriteCondition = {
    ...(options.ifMatch !== undefined ? { ifMatch: options.ifMatch } : {}),
    ...(options.ifNoneMatch !== undefined ? { ifNoneMatch: options.ifNoneMatch } : {}),
  };
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  let uploadId: string | undefined;
  const parts: UploadedPart[] = [];

  /** The first `n` pending bytes as one part (pending keeps the rest). */
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const head = pending[0]!;
      const used = Math.min(head.length, n - at);
      out.set(head.subarray(0, used), at);
      at += used;
      if (used === head.length) pending.shift();
      else pending[0] = head.subarray(used);
    }
    pendingBytes -= n;
    return out;
  };
  const sendPart = async (bytes: Uint8Array) => {
    uploadId ??= await client.createMultipartUpload(key);
    const partNumber = parts.length + 1;
    const { etag } = await client.uploadPart(key, uploadId, partNumber, bytes);
    parts.push({ partNumber, etag });
  };

  try {
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      pending.push(chunk);
      pendingBytes += chunk.length;
      total += chunk.length;
      // Only more than a part makes a multipart upload: a stream of exactly one part stays a single PUT.
      while (pendingBytes > partSize) await sendPart(take(partSize));
    }
    if (uploadId === undefined) {
      const { etag } = await client.putObject(key, take(pendingBytes), condition);
      return { etag, byteLength: total, parts: 0 };
    }
    if (pendingBytes > 0) await sendPart(take(pendingBytes));
    const { etag } = await client.completeMultipartUpload(key, uploadId, parts, condition);
    return { etag, byteLength: total, parts: parts.length };
  } catch (err) {
    if (uploadId !== undefined) await client.abortMultipartUpload(key, uploadId).catch(() => {});
    throw err;
  }
}
