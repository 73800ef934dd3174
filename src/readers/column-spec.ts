import type { SchemaElement } from 'hyparquet';
import type { FieldCodec, StoreField } from '../store/store-field.js';

/** How one decoded Parquet column becomes a loader column. Plain data, so it crosses to a worker. */
export interface ColumnSpec {
  name: string;
  codec: FieldCodec;
  /** Declared tensor shape (image channel count). */
  shape: (number | null)[];
  imageFormat?: string;
  /** 'f32' / 'f64': a float column delivered as a typed array with NaN for null. */
  float?: 'f32' | 'f64';
  /** INT64 timestamps are decoded raw (fast) and scaled to epoch ms here. */
  timeUnit?: 'MILLIS' | 'MICROS' | 'NANOS';
  /** A column of epoch ms numbers (DATE) delivered as Float64Array. */
  epochMs?: boolean;
  /**
   * INT96 timestamps, decoded as 12-byte FIXED_LEN_BYTE_ARRAY and converted here: hyparquet 1.31's INT96
   * reader ORs the signed nanos word into the day bits, which corrupts values with negative nanos.
   */
  int96?: boolean;
  /** Unannotated BYTE_ARRAY holding text (Impala writes strings this way). */
  text?: boolean;
  /** A REQUIRED INT32 (any width) or INT64 column: always a typed array. */
  int?: 'i32' | 'i64';
  /** DECIMAL with this scale, decoded raw and divided here (exactly rounded, unlike multiplying by 10^-scale). */
  decimalScale?: number;
}

/** How the decoder turns one Parquet column of a store into a column of typed values. */
export function columnSpecOf(name: string, e: SchemaElement | null, field: StoreField | undefined, imageFormat: string | undefined): ColumnSpec {
  const spec: ColumnSpec = { name, codec: field?.codec ?? 'scalar', shape: [...(field?.shape ?? [])] };
  if (imageFormat) spec.imageFormat = imageFormat;
  if (!e || spec.codec !== 'scalar') return spec;
  const lt = e.logical_type;
  if (e.type === 'INT64' && (lt?.type === 'TIMESTAMP' || e.converted_type === 'TIMESTAMP_MILLIS' || e.converted_type === 'TIMESTAMP_MICROS')) {
    spec.timeUnit = lt?.type === 'TIMESTAMP' ? lt.unit : e.converted_type === 'TIMESTAMP_MICROS' ? 'MICROS' : 'MILLIS';
  } else if (e.type === 'INT96') spec.int96 = true;
  else if (e.converted_type === 'DATE' || lt?.type === 'DATE') spec.epochMs = true;
  else if (e.converted_type === 'DECIMAL' || lt?.type === 'DECIMAL') spec.decimalScale = e.scale ?? (lt?.type === 'DECIMAL' ? lt.scale : 0) ?? 0;
  else if (e.type === 'FLOAT') spec.float = 'f32';
  else if (e.type === 'DOUBLE') spec.float = 'f64';
  else if (e.repetition_type === 'REQUIRED' && e.type === 'INT32' && !e.converted_type?.startsWith('UINT_32')) spec.int = 'i32';
  else if (e.repetition_type === 'REQUIRED' && e.type === 'INT64' && e.converted_type !== 'UINT_64') spec.int = 'i64';
  else if (e.type === 'BYTE_ARRAY' && !e.converted_type && !lt && (field === undefined || field.dtype === 'string')) spec.text = true;
  return spec;
}
