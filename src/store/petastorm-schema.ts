import { SchemaError } from '../errors.js';
import { type PyGlobal, type PyObject, restrictedUnpickle } from './restricted-unpickler.js';
import type { FieldCodec, StoreField } from './store-field.js';

/** Key of `_common_metadata` under which Petastorm stores its pickled `Unischema`. */
export const PETASTORM_SCHEMA_KEY = 'dataset-toolkit.unischema.v1';
/** Key of `_common_metadata` under which Petastorm lists the data files with their row-group counts. */
export const PETASTORM_FILES_KEY = 'dataset-toolkit.num_row_groups_per_file.v1';

const CODEC_OF: Record<string, FieldCodec> = {
  'petastorm.codecs.ScalarCodec': 'scalar',
  'petastorm.codecs.NdarrayCodec': 'ndarray',
  'petastorm.codecs.CompressedImageCodec': 'image',
  'petastorm.codecs.CompressedNdarrayCodec': 'compressed-ndarray',
};

function isObject(x: unknown, cls?: string): x is PyObject {
  return !!x && typeof x === 'object' && 'pyClass' in x && (cls === undefined || (x as PyObject).pyClass === cls);
}

function dtypeName(x: unknown): string {
  if (x && typeof x === 'object' && 'pyGlobal' in x) {
    const g = (x as PyGlobal).pyGlobal;
    if (g === 'decimal.Decimal') return 'decimal';
    const name = g.slice(g.lastIndexOf('.') + 1).replace(/_$/, '');
    return name === 'unicode' || name === 'str' ? 'string' : name === 'bytes' ? 'string' : name;
  }
  return 'object';
}

function fieldOf(v: unknown, where: string): StoreField {
  if (!isObject(v, 'petastorm.unischema.UnischemaField')) throw new SchemaError(`${where}: a Unischema field is not a UnischemaField`);
  const [name, dtype, shape, codec, nullable] = v.items.length ? v.items : v.args;
  if (typeof name !== 'string') throw new SchemaError(`${where}: UnischemaField without a name`);
  const codecName = isObject(codec) ? codec.pyClass : 'petastorm.codecs.ScalarCodec';
  const c = CODEC_OF[codecName];
  if (!c) throw new SchemaError(`${where}: field ${JSON.stringify(name)} uses codec ${codecName}; supported: ${Object.keys(CODEC_OF).join(', ')}`);
  return {
    name,
    dtype: dtypeName(dtype),
    shape: Array.isArray(shape) ? shape.map((d) => (typeof d === 'number' ? d : null)) : [],
    codec: codec === null || codec === undefined ? 'scalar' : c,
    nullable: nullable === true,
    partition: false,
  };
}

/** Image format of a `CompressedImageCodec` field ('png' or 'jpeg'), from the pickled codec state. */
function imageFormats(u: PyObject): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fieldsOf(u)) {
    const [name, , , codec] = f.items.length ? f.items : f.args;
    if (isObject(codec, 'petastorm.codecs.CompressedImageCodec')) {
      const fmt = String(codec.state.get('_image_codec') ?? '.png').toLowerCase();
      out.set(String(name), fmt.includes('jp') ? 'jpeg' : 'png');
    }
  }
  return out;
}

function fieldsOf(u: PyObject): PyObject[] {
  const fields = u.state.get('_fields');
  if (isObject(fields, 'collections.OrderedDict')) return fields.items.map((kv) => (kv as unknown[])[1] as PyObject);
  if (fields instanceof Map) return [...fields.values()] as PyObject[];
  // Fall back to the attributes that hold fields (Unischema sets one attribute per field).
  return [...u.state.values()].filter((x): x is PyObject => isObject(x, 'petastorm.unischema.UnischemaField'));
}

/** A Petastorm schema read from its pickle: name, fields in schema order, and image formats. */
export interface PetastormSchema {
  name: string;
  fields: StoreField[];
  imageFormat: Map<string, string>;
}

/**
 * Reads the `dataset-toolkit.unischema.v1` pickle with the restricted unpickler (nothing is executed).
 *
 * @example
 * const { name, fields } = petastormSchema(rawValue, 'store/_common_metadata');
 */
export function petastormSchema(bytes: Uint8Array, where: string): PetastormSchema {
  const u = restrictedUnpickle(bytes, `${where} ${PETASTORM_SCHEMA_KEY}`);
  if (!isObject(u, 'petastorm.unischema.Unischema')) throw new SchemaError(`${where}: ${PETASTORM_SCHEMA_KEY} does not hold a petastorm Unischema`);
  const name = String(u.state.get('_name') ?? 'PetastormSchema');
  const fields = fieldsOf(u).map((f) => fieldOf(f, where));
  return { name, fields, imageFormat: imageFormats(u) };
}
