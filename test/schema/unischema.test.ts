import { expect } from 'chai';
import { BitcoinSchema } from '../../src/forecasting/index.js';
import { SchemaError, Unischema, defineSchema, schemaDifferences } from '../../src/index.js';

describe('defineSchema', () => {
  it('fills defaults: scalar codec for scalars, ndarray for tensors, not nullable', () => {
    const s = defineSchema('S', [
      { name: 'x', dtype: 'float32' },
      { name: 'm', dtype: 'uint8', shape: [32, 16, 3] },
      { name: 'v', dtype: 'float64', shape: [null, 4], nullable: true },
    ]);
    expect(s.fields.map((f) => [f.name, f.codec, f.nullable, [...f.shape]])).to.deep.equal([
      ['x', 'scalar', false, []],
      ['m', 'ndarray', false, [32, 16, 3]],
      ['v', 'ndarray', true, [null, 4]],
    ]);
  });

  it('is immutable', () => {
    expect(Object.isFrozen(BitcoinSchema)).to.equal(true);
    expect(Object.isFrozen(BitcoinSchema.fields[0])).to.equal(true);
    expect(() => (BitcoinSchema.fields as unknown[]).push({})).to.throw(TypeError);
  });

  it('defines BitcoinSchema as the issue specifies', () => {
    expect(BitcoinSchema.fields.map((f) => `${f.name}:${f.dtype}:${f.nullable}`)).to.deep.equal([
      'timestamp:timestamp:false',
      'price_usd:float32:false',
      'market_cap:float64:false',
      'price_change_24h:float32:true',
      'total_volume:float64:true',
    ]);
  });

  const bad: [string, Parameters<typeof defineSchema>[1], RegExp][] = [
    ['an unknown dtype, listing the valid ones', [{ name: 'x', dtype: 'float16' as never }], /field "x"\.dtype.*valid dtypes: int32, int64, uint8, float32, float64, bool, string, timestamp/],
    ['a duplicate field', [{ name: 'x', dtype: 'int32' }, { name: 'x', dtype: 'int32' }], /field "x" is defined twice/],
    ['a tensor with the scalar codec', [{ name: 't', dtype: 'float32', shape: [3], codec: 'scalar' }], /has shape \[3\] but codec "scalar"/],
    ['an ndarray of strings', [{ name: 's', dtype: 'string', codec: 'ndarray' }], /ndarray dtypes: int32/],
    ['a zero dimension', [{ name: 't', dtype: 'float32', shape: [0] }], /field "t"\.shape\.0/],
    ['an unknown key', [{ name: 'x', dtype: 'int32', nulable: true } as never], /field "x"/],
    ['a name that is not an identifier', [{ name: 'a b', dtype: 'int32' }], /must start with a letter/],
  ];
  for (const [what, fields, message] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => defineSchema('S', fields)).to.throw(SchemaError, message);
    });
  }

  it('round-trips through JSON', () => {
    const s = defineSchema('S', [
      { name: 'ts', dtype: 'timestamp' },
      { name: 'm', dtype: 'float32', shape: [null, 3], nullable: true },
    ]);
    const back = Unischema.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(back.toJSON()).to.deep.equal(s.toJSON());
    expect(schemaDifferences(s, back)).to.deep.equal([]);
  });

  it('lists every difference between two schemas', () => {
    const other = defineSchema('Other', [
      { name: 'timestamp', dtype: 'timestamp' },
      { name: 'price_usd', dtype: 'float64' },
      { name: 'market_cap', dtype: 'float64' },
      { name: 'price_change_24h', dtype: 'float32', nullable: true },
      { name: 'volume', dtype: 'float64' },
    ]);
    expect(schemaDifferences(BitcoinSchema, other)).to.deep.equal([
      'field "price_usd": store has float32, new data has float64',
      'field "total_volume" (float64 nullable) is missing',
      'field "volume" (float64) is not in the store\'s schema',
    ]);
  });

  it('names the fields there are when asked for a missing one', () => {
    expect(() => BitcoinSchema.field('price')).to.throw(SchemaError, /no field "price"; fields: timestamp, price_usd, market_cap, price_change_24h, total_volume/);
  });
});
