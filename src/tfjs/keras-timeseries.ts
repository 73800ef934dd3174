import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { ConfigError, describeValue } from '../errors.js';
import { createPrng, deriveSeed, randomSeed } from '../windowing/prng.js';

/** An array of time steps: a tensor (axis 0 = time), a 1-D typed/number array, or rows of numbers. */
export type TimeseriesArray = tf.Tensor | readonly number[] | readonly (readonly number[])[] | Float32Array | Float64Array | Int32Array;

/** Options of `timeseriesDatasetFromArray`: Keras' arguments, camelCased, with Keras' defaults. */
export interface TimeseriesDatasetOptions {
  /** Steps per output sequence. Required. */
  sequenceLength: number;
  /** Steps between the starts of successive sequences. Default 1. */
  sequenceStride?: number;
  /** Steps between successive elements of a sequence. Default 1. */
  samplingRate?: number;
  /** Sequences per batch; `null` yields single sequences. Default 128. */
  batchSize?: number | null;
  /** Shuffle the sequences (each iteration differently, reproducibly from `seed`). Default false. */
  shuffle?: boolean;
  /** Shuffle seed. Default: random. */
  seed?: number;
  /** First step that may be used (earlier steps are not). Default 0. */
  startIndex?: number;
  /** Steps from this one on are not used. Default: the data's length. */
  endIndex?: number;
}

/** One element: `xs` [batch, sequenceLength, ...step] and, when targets were given, `ys` [batch, ...target]. */
export interface TimeseriesElement extends tf.TensorContainerObject {
  xs: tf.Tensor;
  ys?: tf.Tensor;
}

interface Rows {
  values: Float32Array | Int32Array;
  length: number;
  rowShape: number[];
  rowSize: number;
  dtype: 'float32' | 'int32';
}

function toRows(name: string, a: TimeseriesArray): Rows {
  if (a instanceof tf.Tensor) {
    if (a.rank < 1) throw new ConfigError(`timeseriesDatasetFromArray: ${name} must have a time axis (rank >= 1); received a scalar`);
    const dtype = a.dtype === 'int32' ? 'int32' : 'float32';
    const values = (dtype === 'int32' ? a.dataSync() : Float32Array.from(a.dataSync() as ArrayLike<number>)) as Float32Array | Int32Array;
    const rowShape = a.shape.slice(1);
    return { values, length: a.shape[0]!, rowShape, rowSize: rowShape.reduce((x, y) => x * y, 1), dtype };
  }
  if (a instanceof Int32Array) return { values: a, length: a.length, rowShape: [], rowSize: 1, dtype: 'int32' };
  if (ArrayBuffer.isView(a)) return { values: Float32Array.from(a), length: a.length, rowShape: [], rowSize: 1, dtype: 'float32' };
  if (!Array.isArray(a)) throw new ConfigError(`timeseriesDatasetFromArray: ${name} must be a tensor, a typed array or an array; received ${describeValue(a)}`);
  if (a.length > 0 && Array.isArray(a[0])) {
    const width = (a[0] as number[]).length;
    const values = new Float32Array(a.length * width);
    a.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== width) throw new ConfigError(`timeseriesDatasetFromArray: ${name}[${i}] has ${Array.isArray(row) ? row.length : 'no'} values, ${name}[0] has ${width}; rows must have equal length`);
      values.set(row as number[], i * width);
    });
    return { values, length: a.length, rowShape: [width], rowSize: width, dtype: 'float32' };
  }
  return { values: Float32Array.from(a as number[]), length: a.length, rowShape: [], rowSize: 1, dtype: 'float32' };
}

function checkInt(name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(`timeseriesDatasetFromArray: \`${name}\` must be an integer. Received: ${name}=${describeValue(v)}`);
}

/** Keras' argument checks, in Keras' order and with its messages (note: a falsy 0 skips the index checks, as in Keras). */
function validate(len: number, o: Required<Omit<TimeseriesDatasetOptions, 'seed' | 'startIndex' | 'endIndex' | 'batchSize'>> & TimeseriesDatasetOptions): void {
  const fail = (msg: string) => {
    throw new ConfigError(`timeseriesDatasetFromArray: ${msg}`);
  };
  const { startIndex: s, endIndex: e } = o;
  if (s) {
    if (s < 0) fail(`\`start_index\` must be 0 or greater. Received: start_index=${s}`);
    if (s >= len) fail(`\`start_index\` must be lower than the length of the data. Received: start_index=${s}, for data of length ${len}`);
  }
  if (e) {
    if (s && e <= s) fail(`\`end_index\` must be higher than \`start_index\`. Received: start_index=${s}, and end_index=${e}`);
    if (e >= len) fail(`\`end_index\` must be lower than the length of the data. Received: end_index=${e}, for data of length ${len}`);
    if (e <= 0) fail(`\`end_index\` must be higher than 0. Received: end_index=${e}`);
  }
  if (o.samplingRate <= 0) fail(`\`sampling_rate\` must be higher than 0. Received: sampling_rate=${o.samplingRate}`);
  if (o.samplingRate >= len) fail(`\`sampling_rate\` must be lower than the length of the data. Received: sampling_rate=${o.samplingRate}, for data of length ${len}`);
  if (o.sequenceStride <= 0) fail(`\`sequence_stride\` must be higher than 0. Received: sequence_stride=${o.sequenceStride}`);
  if (o.sequenceStride >= len) fail(`\`sequence_stride\` must be lower than the length of the data. Received: sequence_stride=${o.sequenceStride}, for data of length ${len}`);
  if (o.batchSize !== null && o.batchSize !== undefined && o.batchSize <= 0) fail(`\`batch_size\` must be greater than zero. Received: batch_size=${o.batchSize}`);
}

/** Sequence start offsets (relative to startIndex), as Keras computes them. */
export function kerasStartPositions(len: number, targetsLen: number | undefined, o: { sequenceLength: number; sequenceStride: number; samplingRate: number; startIndex: number; endIndex: number }): Int32Array {
  let numSeqs = o.endIndex - o.startIndex - (o.sequenceLength - 1) * o.samplingRate;
  if (targetsLen !== undefined) numSeqs = Math.min(numSeqs, targetsLen);
  const count = numSeqs > 0 ? Math.ceil(numSeqs / o.sequenceStride) : 0;
  return Int32Array.from({ length: count }, (_, i) => i * o.sequenceStride);
}

/**
 * TensorFlow.js counterpart of Keras' `keras.utils.timeseries_dataset_from_array`: same arguments,
 * defaults, argument checks, window/target alignment (`targets[i]` belongs to the window starting at
 * step i) and batch sizes (the last batch may be smaller). Differences: the shuffled order (Keras uses
 * NumPy's generator plus a tf.data shuffle buffer; here a seeded full shuffle per iteration) and elements
 * are `{ xs, ys }` objects (for `fitDataset`) instead of tuples.
 *
 * @example
 * // Keras example 2: the past 10 steps predict the next one.
 * const ds = timeseriesDatasetFromArray(data.slice(0, -10), data.slice(10), { sequenceLength: 10 });
 * await model.fitDataset(ds, { epochs: 3 });
 */
export function timeseriesDatasetFromArray(data: TimeseriesArray, targets: TimeseriesArray | null, options: TimeseriesDatasetOptions): tfd.Dataset<TimeseriesElement> {
  const sequenceStride = options.sequenceStride ?? 1;
  const samplingRate = options.samplingRate ?? 1;
  const batchSize = options.batchSize === undefined ? 128 : options.batchSize;
  for (const [k, v] of [['sequence_length', options.sequenceLength], ['sequence_stride', sequenceStride], ['sampling_rate', samplingRate]] as const) checkInt(k, v);
  if (batchSize !== null) checkInt('batch_size', batchSize);
  if (options.startIndex !== undefined) checkInt('start_index', options.startIndex);
  if (options.endIndex !== undefined) checkInt('end_index', options.endIndex);
  const d = toRows('data', data);
  const t = targets === null ? undefined : toRows('targets', targets);
  validate(d.length, { ...options, sequenceStride, samplingRate, batchSize, shuffle: options.shuffle ?? false });
  const startIndex = options.startIndex ?? 0;
  const endIndex = options.endIndex ?? d.length;
  const L = Math.max(0, options.sequenceLength); // Keras' tf.range yields nothing for a length <= 0
  const positions = kerasStartPositions(d.length, t?.length, { sequenceLength: options.sequenceLength, sequenceStride, samplingRate, startIndex, endIndex });
  if (t && positions.length > 0 && startIndex + positions[positions.length - 1]! >= Math.min(endIndex, t.length)) {
    // Keras fails here too, at iteration time (tf.gather out of range on targets[start_index:end_index]).
    throw new ConfigError(`timeseriesDatasetFromArray: targets has ${t.length} steps but the last sequence needs targets[${startIndex + positions[positions.length - 1]!}] (end_index=${endIndex}); pass targets as long as data`);
  }
  const seed = options.seed ?? randomSeed();
  const shuffle = options.shuffle ?? false;
  const perElement = batchSize ?? 1;
  let epoch = 0;

  const make = async function* (): AsyncGenerator<TimeseriesElement> {
    let order = positions;
    if (shuffle) {
      order = positions.slice();
      const rng = createPrng(deriveSeed(seed >>> 0, epoch++));
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.nextInt(i + 1);
        const tmp = order[i]!;
        order[i] = order[j]!;
        order[j] = tmp;
      }
    }
    for (let b = 0; b < order.length; b += perElement) {
      const n = Math.min(perElement, order.length - b);
      const xs = d.dtype === 'int32' ? new Int32Array(n * L * d.rowSize) : new Float32Array(n * L * d.rowSize);
      const ys = t ? (t.dtype === 'int32' ? new Int32Array(n * t.rowSize) : new Float32Array(n * t.rowSize)) : undefined;
      for (let k = 0; k < n; k++) {
        const p = startIndex + order[b + k]!;
        for (let s = 0; s < L; s++) {
          const from = (p + s * samplingRate) * d.rowSize;
          const to = (k * L + s) * d.rowSize;
          for (let c = 0; c < d.rowSize; c++) xs[to + c] = d.values[from + c]!;
        }
        if (t && ys) for (let c = 0; c < t.rowSize; c++) ys[k * t.rowSize + c] = t.values[p * t.rowSize + c]!;
      }
      const lead = batchSize === null ? [] : [n];
      const el: TimeseriesElement = { xs: tf.tensor(xs, [...lead, L, ...d.rowShape], d.dtype) };
      if (t && ys) el.ys = tf.tensor(ys, [...lead, ...t.rowShape], t.dtype);
      yield el;
    }
  };
  const ds = tfd.generator(make);
  // tf.data.generator cannot know the length; Keras' dataset does (cardinality), and fitDataset uses it.
  (ds as { size: number }).size = Math.ceil(positions.length / perElement);
  return ds;
}
