import * as arrow from 'apache-arrow';
import type { UnischemaField } from '../schema/unischema.js';

/** The Arrow (and so Parquet) type a field is stored as; tensors are `.npy` bytes in a binary column. */
export function arrowTypeOf(field: UnischemaField): arrow.DataType {
  if (field.codec === 'ndarray') return new arrow.Binary();
  switch (field.dtype) {
    case 'int32':
      return new arrow.Int32();
    case 'int64':
      return new arrow.Int64();
    case 'uint8':
      return new arrow.Uint8();
    case 'float32':
      return new arrow.Float32();
    case 'float64':
      return new arrow.Float64();
    case 'bool':
      return new arrow.Bool();
    case 'string':
      return new arrow.Utf8();
    case 'timestamp':
      // UTC-adjusted millisecond timestamps: Parquet TIMESTAMP(MILLIS, isAdjustedToUTC=true).
      return new arrow.TimestampMillisecond('UTC');
  }
}

/** Non-nullable fields become REQUIRED Parquet columns, so other engines know they hold no nulls. */
export function arrowSchemaOf(fields: readonly UnischemaField[]): arrow.Schema {
  return new arrow.Schema(fields.map((f) => new arrow.Field(f.name, arrowTypeOf(f), f.nullable)));
}
