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
