import { decodeXmlText, xmlElements, xmlText } from './s3-xml.js';

/** One object of a listing. */
export interface S3ObjectSummary {
  key: string;
  size: number;
  /** Quoted, as S3 sends it; undefined when the service sent none. */
  etag: string | undefined;
  lastModified: Date | undefined;
}

/** One ListObjectsV2 page: its objects, and the token of the next page when it is truncated. */
export interface ListPage {
  objects: S3ObjectSummary[];
  truncated: boolean;
  nextToken: string | undefined;
}

/**
 * Reads a ListObjectsV2 answer (`<ListBucketResult>`).
 *
 * @example
 * listPage('<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a.parquet</Key><Size>3</Size></Contents></ListBucketResult>');
 * // { objects: [{ key: 'a.parquet', size: 3, etag: undefined, lastModified: undefined }], truncated: false, nextToken: undefined }
 */
export function listPage(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw new Error(`expected a ListBucketResult, got ${JSON.stringify(xml.slice(0, 80))}`);
  const objects = xmlElements(xml, 'Contents').map((c) => {
    const key = xmlElements(c, 'Key')[0];
    if (key === undefined) throw new Error('a <Contents> element without <Key>');
    const etag = xmlText(c, 'ETag');
    const modified = xmlText(c, 'LastModified');
    return { key: decodeXmlText(key), size: Number(xmlText(c, 'Size') ?? 0), etag: etag || undefined, lastModified: modified ? new Date(modified) : undefined };
  });
  const truncated = xmlText(xml, 'IsTruncated') === 'true';
  return { objects, truncated, nextToken: xmlText(xml, 'NextContinuationToken') };
}

/**
 * Sorts store paths as a local folder walk does (segment by segment, by UTF-16 code unit), so a store lists
 * its files in the same order on disk and in a bucket (`a/x` before `a-b`, whatever S3's byte order says).
 *
 * @example
 * ['a-b.parquet', 'a/x.parquet'].sort(comparePaths); // ['a/x.parquet', 'a-b.parquet']
 */
export function comparePaths(a: string, b: string): number {
  const sa = a.split('/');
  const sb = b.split('/');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    if (sa[i] !== sb[i]) return sa[i]! < sb[i]! ? -1 : 1;
  }
  return sa.length - sb.length;
}
