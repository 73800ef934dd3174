import type { DType } from '../schema/dtype.js';

// YYYY-MM-DD, optionally followed by a time and a zone (Z, " UTC", ±HH:MM or ±HHMM). No zone means UTC.
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/;

/** Parses the timestamp spellings found in price CSVs into epoch ms (UTC), or NaN. Epoch seconds/ms are accepted too. */
export function parseUtcTimestamp(text: string): number {
  const m = TIMESTAMP_RE.exec(text);
  if (!m) {
    if (/^\d{9,13}$/.test(text)) {
      const n = Number(text);
      return text.length <= 10 ? n * 1000 : n;
    }
    return NaN;
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac, zone] = m;
  let ms = Date.UTC(+y!, +mo! - 1, +d!, +h, +mi, +s, frac ? Math.floor(Number(frac) * 1000) : 0);
  const check = new Date(ms);
  if (check.getUTCDate() !== +d! || check.getUTCMonth() !== +mo! - 1 || +h > 23 || +mi > 59 || +s > 59) return NaN;
  if (zone && zone !== 'Z' && zone !== 'UTC') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return ms;
}

/**
 * Converts one CSV cell to a field value: a number for numeric dtypes and timestamps (NaN when unparsable),
 * boolean for bool, the text for strings. `null` for an empty cell.
 */
export function parseCell(dtype: DType, text: string): number | bigint | boolean | string | null {
  if (text.length === 0) return null;
  switch (dtype) {
    case 'timestamp':
      return parseUtcTimestamp(text);
    case 'string':
      return text;
    case 'bool':
      return text === 'true' || text === 'True' || text === '1' ? true : text === 'false' || text === 'False' || text === '0' ? false : NaN;
    case 'int64':
      return /^[+-]?\d+$/.test(text) ? BigInt(text) : NaN;
    default:
      // Number() accepts '1e5' and '1.00E+11' (spreadsheet exports) but also ' ' and '0x10': guard those.
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  }
}
