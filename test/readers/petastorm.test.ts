import { expect } from 'chai';
import { SchemaError } from '../../src/errors.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { petastormSchema } from '../../src/store/petastorm-schema.js';
import { restrictedUnpickle } from '../../src/store/restricted-unpickler.js';
import { makeReader } from '../../src/readers/row-reader.js';
import type { NdArray } from '../../src/schema/npy.js';
import { sharedData } from '../shared-data.js';
import { collect } from './fixtures.js';
import { PICKLES } from '../store/pickle-fixtures.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('Petastorm stores', function () {
  this.timeout(60_000);

  for (const version of ['0.4.0', '0.5.1', '0.7.6']) {
    it(`reads the legacy ${version} store completely: 100 rows, matrix [32, 16, 3], generator values`, async function () {
      const dir = sharedData(this, 'petastorm-legacy', version);
      const reader = await makeReader(dir, { workers: version === '0.7.6' ? 1 : 0 });
      const rows = await collect(reader);
      expect(reader.batches.store.writer).to.equal('petastorm');
      expect(reader.batches.store.name).to.equal('TestSchema');
      expect(rows.length).to.equal(100);
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      for (const [i, row] of rows.entries()) {
        expect(Object.keys(row).length).to.be.greaterThan(5);
        expect(row.id).to.equal(BigInt(i));
        expect(row.id2).to.equal(i % 2);
        expect(row.partition_key).to.equal(`p_${Math.floor(i / 10)}`);
        const matrix = row.matrix as NdArray;
        expect(matrix.shape).to.deep.equal([32, 16, 3]);
        expect(matrix.data).to.be.instanceOf(Float32Array);
        expect((row.matrix_uint16 as NdArray).data).to.be.instanceOf(Uint16Array);
        expect((row.image_png as NdArray).shape).to.deep.equal([32, 16, 3]);
        expect(row.sensor_name).to.deep.equal({ shape: [1], data: ['test_sensor'] });
        expect(row.matrix_nullable).to.equal(null);
        const san = i % 5 === 0 ? null : i % 4 === 0 ? [] : [String(i), String(i + 1)];
        expect(row.string_array_nullable === null ? null : (row.string_array_nullable as { data: string[] }).data).to.deep.equal(san);
        expect((row.empty_matrix_string as { shape: number[] }).shape).to.deep.equal([0]);
        if (version !== '0.4.0') {
          expect(row.id_float).to.equal(i);
          expect(row.id_odd).to.equal(i % 2 === 1);
        }
        if (version === '0.7.6') {
          expect(row.integer_nullable).to.equal(i % 2 === 1 ? null : i);
          expect((row.matrix_uint32 as NdArray).data).to.be.instanceOf(Uint32Array);
          expect((row.matrix_string as NdArray).shape).to.deep.equal([2, 3]);
        }
      }
    });
  }

  it('describes the fields from the pickled Unischema, partition_key from the folder names', async function () {
    const dir = sharedData(this, 'petastorm-legacy', '0.7.6');
    const reader = await makeBatchReader(dir, { workers: 0, columns: ['id', 'matrix', 'image_png', 'partition_key'], filters: [['partition_key', 'in', ['p_3', 'p_7']]] });
    expect(reader.fields).to.deep.equal([
      { name: 'id', dtype: 'int64', shape: [], codec: 'scalar', nullable: false, partition: false },
      { name: 'matrix', dtype: 'float32', shape: [32, 16, 3], codec: 'ndarray', nullable: false, partition: false },
      { name: 'image_png', dtype: 'uint8', shape: [32, 16, 3], codec: 'image', nullable: false, partition: false },
      { name: 'partition_key', dtype: 'string', shape: [], codec: 'scalar', nullable: false, partition: true },
    ]);
    const batches = await collect(reader);
    expect(reader.stats.rowGroupsRead).to.equal(2); // pruned by partition value, not read
    expect(batches.flatMap((b) => Array.from(b.columns.id as BigInt64Array, Number))).to.deep.equal([...Array.from({ length: 10 }, (_, i) => 30 + i), ...Array.from({ length: 10 }, (_, i) => 70 + i)]);
  });

  it('unpickles a Unischema written with pickle protocols 2 and 5', () => {
    for (const p of [PICKLES.protocol2, PICKLES.protocol5]) {
      const s = petastormSchema(hex(p), 'fixture');
      expect(s.name).to.equal('NewSchema');
      expect(s.fields).to.deep.equal([
        { name: 'id', dtype: 'int64', shape: [], codec: 'scalar', nullable: false, partition: false },
        { name: 'matrix', dtype: 'float32', shape: [4, null], codec: 'ndarray', nullable: true, partition: false },
        { name: 'photo', dtype: 'uint8', shape: [8, 8, 3], codec: 'image', nullable: false, partition: false },
      ]);
      expect(s.imageFormat.get('photo')).to.equal('jpeg');
    }
  });

  it('refuses a pickle that names anything outside the allowed classes, without running it', () => {
    for (const p of [PICKLES.evil0, PICKLES.evil4]) {
      expect(() => restrictedUnpickle(hex(p), 'evil')).to.throw(SchemaError, /refusing to load posix\.system/);
    }
    expect(() => restrictedUnpickle(new TextEncoder().encode("cbuiltins\neval\n(S'1'\ntR."), 'evil')).to.throw(SchemaError, /refusing to load builtins\.eval/);
    expect(() => restrictedUnpickle(new Uint8Array([0x80, 0x02, 0x4b]), 'cut')).to.throw(SchemaError, /truncated/);
  });
});
