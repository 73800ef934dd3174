import type { Unischema } from '../schema/unischema.js';

/** Another header a CSV of a schema may have: CSV column name → schema field name (e.g. an exchange export). */
export interface CsvHeaderLayout {
  /** Reported as the result's `layout` when this header is recognised. */
  name: string;
  /** CSV column name → schema field; every CSV column must be named here. */
  columns: Record<string, string>;
}

/** How the columns of a CSV file map onto schema fields. */
export interface CsvLayout {
  /** 'schema' when the header holds the schema's own field names, else the name of the matching `CsvHeaderLayout`. */
  name: string;
  /** For each schema field, the CSV column index holding it, or -1 (then the field must be nullable: null). */
  columnOf: Int32Array;
  header: string[];
}

/**
 * Recognises a CSV header: the schema's own field names, in any order and without nullable fields, or one
 * of `layouts`. Returns null for anything else.
 */
export function detectCsvLayout(schema: Unischema, header: string[], layouts: readonly CsvHeaderLayout[] = []): CsvLayout | null {
  const names = header.map((h) => h.trim());
  const direct = layoutFrom(schema, names, (h) => h);
  if (direct) return { name: 'schema', columnOf: direct, header: names };
  for (const l of layouts) {
    const columnOf = layoutFrom(schema, names, (h) => l.columns[h]);
    if (columnOf) return { name: l.name, columnOf, header: names };
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

export function describeSupportedLayouts(schema: Unischema, layouts: readonly CsvHeaderLayout[] = []): string {
  const own = `"${schema.fieldNames.join(',')}" (the schema's field names; nullable columns may be left out)`;
  return [own, ...layouts.map((l) => `"${Object.keys(l.columns).join(',')}" (${l.name})`)].join(' or ');
}
