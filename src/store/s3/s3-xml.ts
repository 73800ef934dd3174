/**
 * Reads the few values this client needs from S3's XML answers (ListBucketResult, Error,
 * InitiateMultipartUploadResult, CompleteMultipartUploadResult). Those documents are shallow, carry no
 * attributes the client needs and no CDATA, and never nest an element in one of the same name, so finding
 * elements by name and decoding the five entities and character references is enough; a general XML parser
 * would add tens of kilobytes to the browser bundle for nothing.
 */

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Decodes XML character data: the predefined entities and numeric character references.
 *
 * @example
 * decodeXmlText('&quot;9b2cf535f27731c974343645a3985328&quot;'); // '"9b2cf535f27731c974343645a3985328"'
 */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return NAMED[ref] ?? whole;
  });
}

/**
 * The raw content of every `<tag>` element in `xml`, in document order (`<tag/>` gives '').
 *
 * @example
 * xmlElements('<R><Contents><Key>a</Key></Contents><Contents><Key>b</Key></Contents></R>', 'Contents');
 * // ['<Key>a</Key>', '<Key>b</Key>']
 */
export function xmlElements(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}\\s*>)`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1] ?? '');
}

/**
 * The decoded text of the first `<tag>` element, or undefined when there is none.
 *
 * @example
 * xmlText('<Error><Code>NoSuchKey</Code></Error>', 'Code'); // 'NoSuchKey'
 */
export function xmlText(xml: string, tag: string): string | undefined {
  const [first] = xmlElements(xml, tag);
  return first === undefined ? undefined : decodeXmlText(first);
}
