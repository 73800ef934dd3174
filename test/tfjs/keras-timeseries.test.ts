import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ConfigError } from '../../src/errors.js';
import { initBackend } from '../../src/tfjs/backend.js';
import { timeseriesDatasetFromArray, type TimeseriesDatasetOptions } from '../../src/tfjs/keras-timeseries.js';
import { collect, windowsOf } from '../windowing/helpers.js';

const range = (n: number, f: (i: number) => number = (i) => i): number[] => Array.from({ length: n }, (_, i) => f(i));
const rows = (n: number, f: (i: number) => number[]): number[][] => Array.from({ length: n }, (_, i) => f(i));
const steps = (from: number, count: number, by: number) => range(count, (i) => from + i * by);

// Expected values come from Keras' docstring examples and from its source
// (keras/src/utils/timeseries_dataset_utils.py: num_seqs = end − start − (sequence_length − 1)·sampling_rate,
// capped at len(targets); starts = arange(0, num_seqs, sequence_stride); targets[start_index + start]).
interface Case {
  name: string;
  data: number[] | number[][];
  targets: number[] | null;
  options: TimeseriesDatasetOptions;
  batchSizes: number[];
  xShape0: number[];
  first?: number[];
  second?: number[];
  last?: number[];
  targetsOf?: number[];
}

const cases: Case[] = [
  {
    name: 'docstring example 1: indices 0..98, length 10, rate 2, stride 3',
    data: range(99),
    targets: null,
    options: { sequenceLength: 10, samplingRate: 2, sequenceStride: 3 },
    batchSizes: [27],
    xShape0: [27, 10],
    first: steps(0, 10, 2),
    second: steps(3, 10, 2),
    last: steps(78, 10, 2),
  },
  {
    name: 'docstring example 2: past 10 steps predict the next one',
    data: range(90),
    targets: range(90, (i) => i + 10),
    options: { sequenceLength: 10 },
    batchSizes: [81],
    xShape0: [81, 10],
    first: range(10),
    last: steps(80, 10, 1),
    targetsOf: range(81, (i) => i + 10),
  },
  {
    name: 'docstring example 3: non-overlapping samples of 20',
    data: range(100),
    targets: null,
    options: { sequenceLength: 20, sequenceStride: 20 },
    batchSizes: [5],
    xShape0: [5, 20],
    first: range(20),
    second: steps(20, 20, 1),
    last: steps(80, 20, 1),
  },
  {
    name: 'last batch is smaller (no drop remainder)',
    data: range(10),
    targets: range(10, (i) => 100 + i),
    options: { sequenceLength: 3, batchSize: 3 },
    batchSizes: [3, 3, 2],
    xShape0: [3, 3],
    first: [0, 1, 2],
    last: [7, 8, 9],
    targetsOf: range(8, (i) => 100 + i),
  },
  {
    name: 'start_index and end_index (exclusive) bound the steps; targets are indexed from start_index',
    data: range(12),
    targets: range(12, (i) => 100 + i),
    options: { sequenceLength: 3, startIndex: 2, endIndex: 9 },
    batchSizes: [5],
    xShape0: [5, 3],
    first: [2, 3, 4],
    last: [6, 7, 8],
    targetsOf: [102, 103, 104, 105, 106],
  },
  {
    name: 'targets shorter than the data cap the number of sequences',
    data: range(20),
    targets: range(4, (i) => 50 - i),
    options: { sequenceLength: 2 },
    batchSizes: [4],
    xShape0: [4, 2],
    last: [3, 4],
    targetsOf: [50, 49, 48, 47],
  },
  {
    name: '2-D data keeps its feature axis',
    data: rows(6, (i) => [i, 10 * i]),
    targets: null,
    options: { sequenceLength: 2, sequenceStride: 2 },
    batchSizes: [3],
    xShape0: [3, 2, 2],
    first: [0, 0, 1, 10],
    last: [4, 40, 5, 50],
  },
  {
    name: 'a sequence longer than the data gives an empty dataset',
    data: range(5),
    targets: null,
    options: { sequenceLength: 6 },
    batchSizes: [],
    xShape0: [],
  },
  {
    name: 'end_index 0 is falsy in Keras: not rejected, empty dataset',
    data: range(5),
    targets: null,
    options: { sequenceLength: 2, endIndex: 0 },
    batchSizes: [],
    xShape0: [],
  },
  {
    name: 'sequence_length 0 is not checked by Keras: empty sequences, num_seqs = len + rate',
    data: range(5),
    targets: null,
    options: { sequenceLength: 0 },
    batchSizes: [6],
    xShape0: [6, 0],
  },
];

describe('windowing/timeseriesDatasetFromArray (Keras conformance)', () => {
  before(async () => {
    await initBackend('cpu');
  });

  for (const c of cases) {
    it(`matches Keras: ${c.name}`, async () => {
      const ds = timeseriesDatasetFromArray(c.data, c.targets, c.options);
      const got = await collect(ds);
      expect(got.xShapes.map((s) => s[0])).to.deep.equal(c.batchSizes);
      expect(ds.size).to.equal(c.batchSizes.length);
      if (c.xShape0.length) expect(got.xShapes[0]).to.deep.equal(c.xShape0);
      const per = c.xShape0.slice(1).reduce((a, b) => a * b, 1);
      const seqs = per > 0 ? windowsOf(got.xs, per) : [];
      if (c.first) expect(seqs[0]).to.deep.equal(c.first);
      if (c.second) expect(seqs[1]).to.deep.equal(c.second);
      if (c.last) expect(seqs[seqs.length - 1]).to.deep.equal(c.last);
      if (c.targetsOf) expect(got.ys.flat()).to.deep.equal(c.targetsOf);
      if (c.targets === null) expect(got.ys).to.deep.equal([]);
    });
  }

  it('yields single sequences when batchSize is null', async () => {
    const got = await collect(timeseriesDatasetFromArray(range(5), range(5, (i) => i * 2), { sequenceLength: 2, batchSize: null }));
    expect(got.xShapes).to.deep.equal([[2], [2], [2], [2]]);
    expect(got.yShapes).to.deep.equal([[], [], [], []]);
    expect(got.ys.flat()).to.deep.equal([0, 2, 4, 6]);
  });

  it('accepts tensors and keeps int32', async () => {
    const data = tf.tensor2d(range(8), [4, 2], 'int32');
    const ds = timeseriesDatasetFromArray(data, null, { sequenceLength: 2 });
    const it = await ds.iterator();
    const { value } = await it.next();
    expect(value.xs.dtype).to.equal('int32');
    expect(value.xs.shape).to.deep.equal([3, 2, 2]);
    tf.dispose([data, value]);
  });

  const rejected: [string, number, Partial<TimeseriesDatasetOptions>, string][] = [
    ['negative start_index', 10, { startIndex: -1 }, '`start_index` must be 0 or greater. Received: start_index=-1'],
    ['start_index at the length', 10, { startIndex: 10 }, '`start_index` must be lower than the length of the data. Received: start_index=10, for data of length 10'],
    ['end_index not after start_index', 10, { startIndex: 5, endIndex: 5 }, '`end_index` must be higher than `start_index`. Received: start_index=5, and end_index=5'],
    ['end_index equal to the length (Keras rejects it too)', 10, { endIndex: 10 }, '`end_index` must be lower than the length of the data. Received: end_index=10, for data of length 10'],
    ['negative end_index', 10, { endIndex: -3 }, '`end_index` must be higher than 0. Received: end_index=-3'],
    ['sampling_rate 0', 10, { samplingRate: 0 }, '`sampling_rate` must be higher than 0. Received: sampling_rate=0'],
    ['sampling_rate at the length', 10, { samplingRate: 10 }, '`sampling_rate` must be lower than the length of the data. Received: sampling_rate=10, for data of length 10'],
    ['sequence_stride 0', 10, { sequenceStride: 0 }, '`sequence_stride` must be higher than 0. Received: sequence_stride=0'],
    ['sequence_stride at the length', 10, { sequenceStride: 12 }, '`sequence_stride` must be lower than the length of the data. Received: sequence_stride=12, for data of length 10'],
  ];
  for (const [what, n, opts, message] of rejected) {
    it(`rejects ${what} like Keras`, () => {
      expect(() => timeseriesDatasetFromArray(range(n), null, { sequenceLength: 2, ...opts })).to.throw(ConfigError, message);
    });
  }

  // Keras checks neither: batch_size 0 fails later inside tf.data, and a fractional sequence_length inside
  // numpy/tf range arithmetic. This SDK refuses both up front, with messages in Keras' style.
  const sdkRules: [string, Partial<TimeseriesDatasetOptions>, string][] = [
    ['batch_size 0', { batchSize: 0 }, '`batch_size` must be greater than zero. Received: batch_size=0'],
    ['a fractional sequence_length', { sequenceLength: 2.5 }, '`sequence_length` must be an integer. Received: sequence_length=2.5'],
  ];
  for (const [what, opts, message] of sdkRules) {
    it(`rejects ${what} up front (an SDK rule; Keras does not check it)`, () => {
      expect(() => timeseriesDatasetFromArray(range(10), null, { sequenceLength: 2, ...opts })).to.throw(ConfigError, message);
    });
  }

  it('accepts start_index 0 and end_index length − 1 (Keras only checks truthy indices)', async () => {
    const got = await collect(timeseriesDatasetFromArray(range(10), null, { sequenceLength: 2, startIndex: 0, endIndex: 9 }));
    expect(got.xShapes).to.deep.equal([[8, 2]]);
  });

  it('shuffles the same sequences as the unshuffled dataset, reproducibly for a seed', async () => {
    const opts = { sequenceLength: 4, batchSize: 5, shuffle: true, seed: 11 };
    const plain = windowsOf((await collect(timeseriesDatasetFromArray(range(40), range(40), { ...opts, shuffle: false }))).xs, 4);
    const a = await collect(timeseriesDatasetFromArray(range(40), range(40), opts));
    const b = await collect(timeseriesDatasetFromArray(range(40), range(40), opts));
    expect(a.xs).to.deep.equal(b.xs);
    expect(a.xShapes.map((s) => s[0])).to.deep.equal([5, 5, 5, 5, 5, 5, 5, 2]);
    const shuffled = windowsOf(a.xs, 4);
    expect(shuffled).to.not.deep.equal(plain);
    expect([...shuffled].sort((x, y) => x[0]! - y[0]!)).to.deep.equal(plain);
    // each target still belongs to its window (targets[i] pairs with the window starting at i)
    expect(a.ys.flat()).to.deep.equal(shuffled.map((w) => w[0]));
  });
});
