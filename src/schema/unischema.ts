import { z } from 'zod';
import { SchemaError } from '../errors.js';
import { DTYPES, type DType, TENSOR_DTYPES } from './dtype.js';

export const CODECS = ['scalar', 'ndarray'] as const;
export type Codec = (typeof CODECS)[number];

/** What `defineSchema` accepts for one field. */
export interface FieldSpec {
  name: string;
  dtype: DType;
  /** Empty or absent: a scalar. Non-empty: a tensor field; `null` marks a variable dimension. */
  shape?: readonly (number | null)[];
  /** `scalar` (a native Parquet column, the default for scalars) or `ndarray` (`.npy` bytes, the default for tensors). */
  codec?: Codec;
  /** Whether a value may be null/undefined. Default false. */
  nullable?: boolean;
}

/** One field of a `Unischema`: like Petastorm's `UnischemaField(name, numpy_dtype, shape, codec, nullable)`. */
export interface UnischemaField {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly (number | null)[];
  readonly codec: Codec;
  readonly nullable: boolean;
}

/** JSON form stored under `SCHEMA_METADATA_KEY` in every part footer and in `_common_metadata`. */
export interface UnischemaJson {
  name: string;
  fields: { name: string; dtype: DType; shape: (number | null)[]; codec: Codec; nullable: boolean }[];
}

/**
 * Footer key-value metadata key under which this SDK records the `Unischema` (as JSON) in every part file,
 * `_metadata` and `_common_metadata`; other readers ignore it.
 *
 * @example
 * // DuckDB: SELECT value FROM parquet_kv_metadata('store/_common_metadata') WHERE key = 'tfjs-parquet-loader.schema.v1'
 */
export const SCHEMA_METADATA_KEY = 'tfjs-parquet-loader.schema.v1';

const fieldSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and hold only letters, digits and _'),
  dtype: z.enum(DTYPES),
  shape: z.array(z.union([z.number().int().min(1), z.null()])).optional(),
  codec: z.enum(CODECS).optional(),
  nullable: z.boolean().optional(),
});

/**
 * An immutable schema: an ordered list of fields shared by every stage, from validation to windowing
 * (Petastorm's `Unischema`). Made with `defineSchema`; stored as JSON in the store's footers.
 *
 * @example
 * const schema = Unischema.fromJSON(JSON.parse(json));
 * schema.field('price_usd').dtype; // 'float32'
 */
export class Unischema {
  readonly name: string;
  readonly fields: readonly UnischemaField[];
  readonly #byName: ReadonlyMap<string, UnischemaField>;

  /** Use `defineSchema`; the constructor trusts its input. */
  constructor(name: string, fields: readonly UnischemaField[]) {
    this.name = name;
    this.fields = Object.freeze(fields.map((f) => Object.freeze({ ...f, shape: Object.freeze([...f.shape]) })));
    this.#byName = new Map(this.fields.map((f) => [f.name, f]));
    Object.freeze(this);
  }

  get fieldNames(): string[] {
    return this.fields.map((f) => f.name);
  }

  /** The field called `name`, or a `SchemaError` listing the fields there are. */
  field(name: string): UnischemaField {
    const f = this.#byName.get(name);
    if (!f) throw new SchemaError(`schema ${this.name} has no field ${JSON.stringify(name)}; fields: ${this.fieldNames.join(', ')}`, { field: name });
    return f;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** A schema with only `names`, in that order (Petastorm's `create_schema_view`). */
  view(names: readonly string[]): Unischema {
    return new Unischema(this.name, names.map((n) => this.field(n)));
  }

  toJSON(): UnischemaJson {
    return { name: this.name, fields: this.fields.map((f) => ({ ...f, shape: [...f.shape] })) };
  }

  static fromJSON(json: unknown): Unischema {
    const parsed = z.object({ name: z.string(), fields: z.array(z.unknown()) }).safeParse(json);
    if (!parsed.success) throw new SchemaError(`stored schema is not a ${SCHEMA_METADATA_KEY} object: ${parsed.error.message}`);
    return defineSchema(parsed.data.name, parsed.data.fields as FieldSpec[]);
  }
}

/**
 * Defines an immutable schema. Field rules are checked here, once, so every later stage can trust them.
 *
 * @example
 * const Prices = defineSchema('Prices', [
 *   { name: 'timestamp', dtype: 'timestamp' },
 *   { name: 'price_usd', dtype: 'float32' },
 *   { name: 'image', dtype: 'uint8', shape: [32, 32, 3] }, // a tensor field, stored as .npy bytes
 * ]);
 */
export function defineSchema(name: string, fields: readonly FieldSpec[]): Unischema {
  if (typeof name !== 'string' || name.length === 0) throw new SchemaError(`defineSchema: name must be a non-empty string; received ${JSON.stringify(name)}`);
  if (!Array.isArray(fields) || fields.length === 0) throw new SchemaError(`defineSchema(${name}): fields must be a non-empty array`);
  const seen = new Set<string>();
  const out: UnischemaField[] = fields.map((spec, i) => {
    const parsed = fieldSpecSchema.safeParse(spec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `.${issue.path.join('.')}` : '';
      const label = typeof (spec as FieldSpec)?.name === 'string' ? JSON.stringify((spec as FieldSpec).name) : `#${i}`;
      const valid = issue.path[0] === 'dtype' ? `; valid dtypes: ${DTYPES.join(', ')}` : issue.path[0] === 'codec' ? `; valid codecs: ${CODECS.join(', ')}` : '';
      throw new SchemaError(`defineSchema(${name}): field ${label}${where}: ${issue.message}${valid}`, { field: (spec as FieldSpec)?.name });
    }
    const f = parsed.data;
    if (seen.has(f.name)) throw new SchemaError(`defineSchema(${name}): field ${JSON.stringify(f.name)} is defined twice`, { field: f.name });
    seen.add(f.name);
    const shape = f.shape ?? [];
    const codec = f.codec ?? (shape.length > 0 ? 'ndarray' : 'scalar');
    if (shape.length > 0 && codec !== 'ndarray') {
      throw new SchemaError(`defineSchema(${name}): field ${JSON.stringify(f.name)} has shape [${shape.join(', ')}] but codec ${JSON.stringify(codec)}; a tensor field needs codec 'ndarray'`, { field: f.name });
    }
    if (codec === 'ndarray' && !(TENSOR_DTYPES as readonly string[]).includes(f.dtype)) {
      throw new SchemaError(`defineSchema(${name}): field ${JSON.stringify(f.name)} uses codec 'ndarray' with dtype ${f.dtype}; ndarray dtypes: ${TENSOR_DTYPES.join(', ')}`, { field: f.name });
    }
    return { name: f.name, dtype: f.dtype, shape, codec, nullable: f.nullable ?? false };
  });
  return new Unischema(name, out);
}

/**
 * Human-readable differences between two schemas (empty when they are equal field by field).
 *
 * @example
 * schemaDifferences(storeSchema, mySchema); // ['field "volume": dtype float64 in the store, float32 here']
 */
export function schemaDifferences(expected: Unischema, actual: Unischema): string[] {
  const diffs: string[] = [];
  const describe = (f: UnischemaField) =>
    `${f.dtype}${f.shape.length ? `[${f.shape.map((d) => d ?? 'None').join(', ')}]` : ''}${f.codec === 'ndarray' && !f.shape.length ? ' ndarray' : ''}${f.nullable ? ' nullable' : ''}`;
  for (const f of expected.fields) {
    if (!actual.has(f.name)) diffs.push(`field ${JSON.stringify(f.name)} (${describe(f)}) is missing`);
    else {
      const g = actual.field(f.name);
      if (describe(f) !== describe(g) || f.codec !== g.codec) diffs.push(`field ${JSON.stringify(f.name)}: store has ${describe(f)}, new data has ${describe(g)}`);
    }
  }
  for (const g of actual.fields) if (!expected.has(g.name)) diffs.push(`field ${JSON.stringify(g.name)} (${describe(g)}) is not in the store's schema`);
  const order = expected.fieldNames.filter((n) => actual.has(n)).join(',');
  const order2 = actual.fieldNames.filter((n) => expected.has(n)).join(',');
  if (diffs.length === 0 && order !== order2) diffs.push(`field order differs: store [${expected.fieldNames.join(', ')}], new data [${actual.fieldNames.join(', ')}]`);
  return diffs;
}
