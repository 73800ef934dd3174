/**
 * The element types a field can hold. Each maps to one Parquet physical/logical type so that other engines
 * (DuckDB, pyarrow, Spark) see the same type, and to one typed array used on the hot paths.
 *
 * @example
 * if (!DTYPES.includes(dtype)) throw new Error(`unknown dtype ${dtype}`);
 */
export const DTYPES = ['int32', 'int64', 'uint8', 'float32', 'float64', 'bool', 'string', 'timestamp'] as const;
export type DType = (typeof DTYPES)[number];

/** Typed array holding a numeric dtype in memory; timestamps are epoch milliseconds in a Float64Array. */
export const TYPED_ARRAY_OF = {
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  float32: Float32Array,
  float64: Float64Array,
  timestamp: Float64Array,
} as const;

export type NumericDType = keyof typeof TYPED_ARRAY_OF;

export function isNumericDType(dtype: DType): dtype is NumericDType {
  return dtype in TYPED_ARRAY_OF;
}

/** dtypes an ndarray (tensor) field can have: the ones numpy's `.npy` format and tf tensors share. */
export const TENSOR_DTYPES = ['int32', 'int64', 'uint8', 'float32', 'float64', 'bool'] as const;
export type TensorDType = (typeof TENSOR_DTYPES)[number];

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const FLOAT32_MAX = 3.4028234663852886e38;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
