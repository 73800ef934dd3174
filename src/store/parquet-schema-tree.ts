import type { SchemaElement } from 'hyparquet';

/**
 * Top-level columns of a flattened Parquet schema (depth-first, with `num_children`): name → its element
 * for a leaf, or null for a group (list, map, struct), whose descendants are skipped.
 */
export function topLevelColumns(schema: SchemaElement[]): Map<string, SchemaElement | null> {
  const out = new Map<string, SchemaElement | null>();
  let i = 1;
  const skip = (): void => {
    const e = schema[i++]!;
    for (let k = 0; k < (e.num_children ?? 0); k++) skip();
  };
  while (i < schema.length) {
    const e = schema[i]!;
    out.set(e.name, e.num_children ? null : e);
    skip();
  }
  return out;
}
