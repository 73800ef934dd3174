import { crc32 } from './store-platform.js';
import { PAGE_CRC_KEY } from './page-checksums.js';

/**
 * Key of the file-level key-value entry holding the CRC-32 of the file's Thrift footer, computed with its own
 * 8 hex digits set to "00000000". It makes the footer self-checking, for a part read alone and for `_metadata`.
 */
export const FOOTER_CRC_KEY = 'tfjs-parquet-loader.footer-crc32.v1';

const ascii = new TextEncoder();
// Thrift compact KeyValue: key, then field 2 (delta 1, binary: 0x18) of length 8 (0x08) holding the digits.
const ENTRY = new Uint8Array([...ascii.encode(FOOTER_CRC_KEY), 0x18, 0x08]);
const PAGE_KEY = ascii.encode(PAGE_CRC_KEY);
const PLACEHOLDER = ascii.encode('00000000');

/** The value written under `FOOTER_CRC_KEY` before the footer's CRC is known. */
export const FOOTER_CRC_PLACEHOLDER = '00000000';

function indexesOf(haystack: Uint8Array, needle: Uint8Array): number[] {
  const out: number[] = [];
  const first = needle[0]!;
  for (let i = haystack.indexOf(first); i >= 0 && i + needle.length <= haystack.length; i = haystack.indexOf(first, i + 1)) {
    let k = 1;
    while (k < needle.length && haystack[i + k] === needle[k]) k++;
    if (k === needle.length) out.push(i);
  }
  return out;
}

/** What a footer's own checksum says. */
export type FooterCheck = { status: 'absent' } | { status: 'ok' } | { status: 'mismatch'; reason: string };

/**
 * Checks the footer CRC of a Thrift `FileMetaData` (`footer`: the bytes between the data and the 4-byte
 * length). 'absent' for files without one (other writers, and this SDK before it wrote checksums); a footer
 * that lost it while its column chunks still carry page checksums is a mismatch, so damage to the entry
 * itself cannot switch verification off.
 *
 * @example
 * checkFooterChecksum(footerBytes); // { status: 'ok' }
 */
export function checkFooterChecksum(footer: Uint8Array): FooterCheck {
  const at = indexesOf(footer, ENTRY);
  if (at.length === 0) {
    if (indexesOf(footer, PAGE_KEY).length > 0) return { status: 'mismatch', reason: `its column chunks carry page checksums but its footer checksum (${FOOTER_CRC_KEY}) is missing` };
    return { status: 'absent' };
  }
  if (at.length > 1) return { status: 'mismatch', reason: `its footer checksum (${FOOTER_CRC_KEY}) is recorded ${at.length} times` };
  const digits = at[0]! + ENTRY.length;
  const text = new TextDecoder().decode(footer.subarray(digits, digits + 8));
  if (!/^[0-9a-f]{8}$/.test(text)) return { status: 'mismatch', reason: `its footer checksum ${JSON.stringify(text)} is not 8 hex digits` };
  // A copy: a Node Buffer's slice() is a view, and the placeholder would overwrite the caller's bytes.
  const copy = new Uint8Array(footer);
  copy.set(PLACEHOLDER, digits);
  const actual = crc32(copy);
  const recorded = parseInt(text, 16);
  if (actual !== recorded) return { status: 'mismatch', reason: `the CRC-32 of its ${footer.length}-byte footer is ${actual.toString(16).padStart(8, '0')}, recorded ${text}` };
  return { status: 'ok' };
}

/**
 * Fills in the footer CRC of a footer serialised with `FOOTER_CRC_PLACEHOLDER` under `FOOTER_CRC_KEY`
 * (in place, and returned).
 *
 * @example
 * const footer = sealFooterChecksum(serialize({ ...metadata, field_5: [...kv, placeholderEntry] }));
 */
export function sealFooterChecksum(footer: Uint8Array): Uint8Array {
  const at = indexesOf(footer, ENTRY);
  if (at.length !== 1) throw new Error(`a footer to seal must hold one ${FOOTER_CRC_KEY} entry; found ${at.length}`);
  const digits = at[0]! + ENTRY.length;
  footer.set(PLACEHOLDER, digits);
  footer.set(ascii.encode(crc32(footer).toString(16).padStart(8, '0')), digits);
  return footer;
}
