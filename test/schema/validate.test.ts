import { expect } from 'chai';
import { BitcoinSchema } from '../../src/forecasting/index.js';
import { SchemaError, compileRowValidator, defineSchema, validateColumns } from '../../src/index.js';

const AllTypes = defineSchema('AllTypes', [
  { name: 'i32', dtype: 'int32' },
  { name: 'i64', dtype: 'int64' },
  { name: 'u8', dtype: 'uint8' },
  { name: 'f32', dtype: 'float32' },
  { name: 'f64', dtype: 'float64' },
  { name: 'b', dtype: 'bool' },
  { name: 's', dtype: 'string' },
  { name: 'ts', dtype: 'timestamp' },
  { name: 'opt', dtype: 'float64', nullable: true },
  { name: 'm', dtype: 'float32', shape: [2, null] },
]);

const good = () => ({
  i32: -7,
  i64: 2n ** 40n,
  u8: 255,
  f32: 1.5,
  f64: -2.25,
  b: true,
  s: 'x',
  ts: new Date('2024-01-01T00:00:00Z'),
  opt: null,
  m: { shape: [2, 3], data: new Float32Array(6) },
});

function caught(fn: () => void): SchemaError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(SchemaError);
    return err as SchemaError;
  }
  throw new Error('expected a SchemaError');
}

describe('compileRowValidator', () => {
  const validate = compileRowValidator(AllTypes);

  it('accepts a valid row of every dtype, and a timestamp as epoch ms or an int64 as a safe number', () => {
    validate(good(), 0);
    validate({ ...good(), ts: 1_700_000_000_000, i64: 12 }, 1);
  });

  // One bad row per rule: [rule, field, value, message fragment]
  const cases: [string, string, unknown, RegExp][] = [
    ['a missing non-nullable field', 'f64', undefined, /field "f64" \(float64\) is missing \(the field is not nullable\)/],
    ['null in a non-nullable field', 's', null, /field "s" \(string\) is null/],
    ['a string where a number belongs', 'f32', '1.5', /field "f32" \(float32\) must be a number; received "1.5"/],
    ['NaN', 'f64', NaN, /field "f64" \(float64\) must be a finite number; received NaN/],
    ['Infinity', 'f32', Infinity, /must be a finite number; received Infinity/],
    ['a float32 overflow', 'f32', 1e39, /outside the float32 range/],
    ['a fractional int32', 'i32', 1.5, /field "i32" \(int32\) must be an integer number; received 1.5/],
    ['an int32 overflow', 'i32', 2 ** 31, /outside the int32 range/],
    ['a uint8 out of range', 'u8', 256, /outside the uint8 range/],
    ['an unsafe int64 number', 'i64', 2 ** 60, /must be a bigint or a safe integer/],
    ['an int64 overflow', 'i64', 2n ** 63n, /outside the int64 range/],
    ['a bool as a number', 'b', 1, /must be a boolean; received 1/],
    ['an invalid Date', 'ts', new Date('nope'), /must be a valid Date; received Date\(Invalid\)/],
    ['a timestamp string', 'ts', '2024-01-01', /must be a Date or integer epoch milliseconds/],
    ['a wrong tensor shape', 'm', { shape: [3, 2], data: new Float32Array(6) }, /field "m" \(float32\[2, None\]\) has shape \[3, 2\], expected \[2, any\]/],
    ['a tensor of the wrong dtype', 'm', { shape: [2, 3], data: new Float64Array(6) }, /must hold a Float32Array for dtype float32; got Float64Array/],
    ['a tensor whose data does not fill its shape', 'm', { shape: [2, 3], data: new Float32Array(5) }, /has 5 elements, shape \[2, 3\] needs 6/],
    ['a tensor holding NaN', 'm', { shape: [2, 1], data: new Float32Array([0, NaN]) }, /non-finite element at flat index 1/],
    ['a plain array as a tensor', 'm', [[1, 2, 3], [4, 5, 6]], /must be an ndarray \{ shape: number\[\], data: TypedArray \}/],
  ];
  for (const [rule, field, value, message] of cases) {
    it(`rejects ${rule}, naming the field, the row and the value`, () => {
      const row: Record<string, unknown> = good();
      if (value === undefined) delete row[field];
      else row[field] = value;
      const err = caught(() => validate(row, 41, { rowOffset: 1000 }));
      expect(err.message).to.match(message);
      expect(err.message).to.match(/^AllTypes: row 1041: /);
      expect(err.field).to.equal(field);
      expect(err.row).to.equal(1041);
    });
  }

  it('rejects a field that is not in the schema', () => {
    const err = caught(() => validate({ ...good(), extra: 1 }, 3));
    expect(err.field).to.equal('extra');
    expect(err.message).to.match(/field "extra" is not in the schema \(fields: i32, i64/);
  });

  it('names the file and line when rows come from a file', () => {
    const err = caught(() => compileRowValidator(BitcoinSchema)({ timestamp: 0, price_usd: NaN, market_cap: 1 }, 4, { file: 'prices.csv', firstLine: 2 }));
    expect(err.message).to.equal('BitcoinSchema: row 4 (prices.csv:6): field "price_usd" (float32) must be a finite number; received NaN');
    expect([err.file, err.line]).to.deep.equal(['prices.csv', 6]);
  });
});

describe('validateColumns', () => {
  const columns = () => ({
    timestamp: new Float64Array([0, 3_600_000, 7_200_000]),
    price_usd: new Float32Array([1, 2, 3]),
    market_cap: new Float64Array([10, 20, 30]),
    price_change_24h: new Float32Array([NaN, 0.5, NaN]),
    total_volume: new Float64Array([1, NaN, 3]),
  });

  it('accepts typed columns, with NaN as null in nullable float columns', () => {
    validateColumns(BitcoinSchema, { numRows: 3, columns: columns() });
  });

  it('rejects NaN in a non-nullable column at the right row', () => {
    const c = columns();
    c.market_cap[2] = NaN;
    const err = caught(() => validateColumns(BitcoinSchema, { numRows: 3, columns: c }, { file: 'x.csv', lines: [2, 3, 9] }));
    expect(err.message).to.equal('BitcoinSchema: row 2 (x.csv:9): field "market_cap" (float64) is NaN or missing (the field is not nullable); received NaN');
  });

  it('rejects a column of the wrong typed-array type', () => {
    const err = caught(() => validateColumns(BitcoinSchema, { numRows: 3, columns: { ...columns(), timestamp: new Int32Array(3) as never } }));
    expect(err.message).to.match(/field "timestamp" \(timestamp\) column must be a Float64Array; received Int32Array\(3\)/);
  });

  it('rejects a fractional timestamp, a float32 overflow, a missing column and a short column', () => {
    const c1 = columns();
    c1.timestamp[1] = 1.5;
    expect(caught(() => validateColumns(BitcoinSchema, { numRows: 3, columns: c1 })).message).to.match(/row 1: field "timestamp" .* must be integer epoch milliseconds/);
    const c2 = { ...columns(), price_usd: new Float64Array([1, 1e39, 3]) };
    expect(caught(() => validateColumns(BitcoinSchema, { numRows: 3, columns: c2 })).message).to.match(/row 1: field "price_usd" .*outside the float32 range/);
    const { market_cap: _, ...c3 } = columns();
    expect(caught(() => validateColumns(BitcoinSchema, { numRows: 3, columns: c3 })).message).to.match(/column "market_cap" is missing/);
    expect(caught(() => validateColumns(BitcoinSchema, { numRows: 4, columns: columns() })).message).to.match(/column "timestamp" has 3 values, expected numRows = 4/);
  });
});
