import { BitcoinSchema } from '../schema/bitcoin.js';
import type { Unischema } from '../schema/unischema.js';

/** How the columns of a CSV file map onto schema fields. */
export interface CsvLayout {
  name: 'schema' | 'coingecko-export';
  /** For each schema field, the CSV column index holding it, or -1 (then the field must be nullable: null). */
  columnOf: Int32Array;
  header: string[];
}

/** CoinGecko's website export ("Historical Data → Export"): `snapped_at,price,market_cap,total_volume`. */
const COINGECKO_EXPORT: Record<string, string> = { snapped_at: 'timestamp', price: 'price_usd', market_cap: 'market_cap', total_volume: 'total_volume' };

/**
 * Recognises a CSV header: either the schema's own field names (the collector writes BitcoinSchema's
 * `timestamp,price_usd,market_cap,price_change_24h,total_volume`), in any order and without nullable
 * fields, or — for BitcoinSchema — CoinGecko's export. Returns null for anything else.
 */
export function detectCsvLayout(schema: Unischema, header: string[]): CsvLayout | null {
  const names = header.map((h) => h.trim());
  const direct = layoutFrom(schema, names, (h) => h);
  if (direct) return { name: 'schema', columnOf: direct, header: names };
  if (schema === BitcoinSchema || schema.fieldNames.join() === BitcoinSchema.fieldNames.join()) {
    const cg = layoutFrom(schema, names, (h) => COINGECKO_EXPORT[h]);
    if (cg) return { name: 'coingecko-export', columnOf: cg, header: names };
  }
  return null;
}

function layoutFrom(schema: Unischema, header: string[], rename: (h: string) => string | undefined): Int32Array | null {
  const columnOf = new Int32Array(schema.fields.length).fill(-1);
  for (let c = 0; c < header.length; c++) {
    const name = rename(header[c]!);
    if (name === undefined || !schema.has(name)) return null;
    const i = schema.fieldNames.indexOf(name);
    if (columnOf[i] !== -1) return null;
    columnOf[i] = c;
  }
  for (let i = 0; i < schema.fields.length; i++) if (columnOf[i] === -1 && !schema.fields[i]!.nullable) return null;
  return columnOf;
}

export function describeSupportedLayouts(schema: Unischema): string {
  const own = schema.fieldNames.join(',');
  return schema.fieldNames.join() === BitcoinSchema.fieldNames.join()
    ? `"${own}" (the collector's CSV) or "snapped_at,price,market_cap,total_volume" (CoinGecko's export)`
    : `"${own}" (the schema's field names; nullable columns may be left out)`;
}
