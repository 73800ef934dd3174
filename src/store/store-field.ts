import type { SchemaElement } from 'hyparquet';

/** How a field's stored bytes become values: Petastorm's codec names, plus plain Parquet columns. */
export const FIELD_CODECS = ['scalar', 'ndarray', 'image', 'compressed-ndarray'] as const;
export type FieldCodec = (typeof FIELD_CODECS)[number];

/**
 * One column of a store as the loader sees it, whoever wrote the store (this SDK, Petastorm, Spark, pyarrow).
 *
 * @example
 * // Petastorm's `matrix` field: { name: 'matrix', dtype: 'float32', shape: [32, 16, 3], codec: 'ndarray', nullable: false, partition: false }
 */
export interface StoreField {
  readonly name: string;
  /** numpy-style element type: 'float32', 'int64', 'uint16', 'bool', 'string', 'timestamp', 'decimal', 'bytes', 'nested', ... */
  readonly dtype: string;
  /** [] for scalars; `null` marks a variable dimension. */
  readonly shape: readonly (number | null)[];
  readonly codec: FieldCodec;
  readonly nullable: boolean;
  /** True when the value comes from a Hive `key=value` folder name rather than from the Parquet file. */
  readonly partition: boolean;
}

/** The numpy-style dtype of a Parquet column written by any tool (a group: 'nested'). */
export function dtypeOf(e: SchemaElement | null): string {
  if (!e) return 'nested';
  const lt = e.logical_type?.type;
  const ct = e.converted_type;
  if (lt === 'TIMESTAMP' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || e.type === 'INT96' || ct === 'DATE' || lt === 'DATE') return 'timestamp';
  if (ct === 'DECIMAL' || lt === 'DECIMAL') return 'decimal';
  if (lt === 'STRING' || ct === 'UTF8' || ct === 'ENUM' || e.type === 'BYTE_ARRAY') return 'string';
  if (e.type === 'BOOLEAN') return 'bool';
  if (e.type === 'FLOAT') return 'float32';
  if (e.type === 'DOUBLE') return 'float64';
  if (e.type === 'INT64') return ct === 'UINT_64' ? 'uint64' : 'int64';
  if (e.type === 'INT32') return ({ INT_8: 'int8', INT_16: 'int16', UINT_8: 'uint8', UINT_16: 'uint16', UINT_32: 'uint32' } as Record<string, string>)[ct ?? ''] ?? 'int32';
  if (e.type === 'FIXED_LEN_BYTE_ARRAY') return 'bytes';
  return 'other';
}
