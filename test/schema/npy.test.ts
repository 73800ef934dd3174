import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaError, decodeNpy, encodeNpy } from '../../src/index.js';
import { npyHeader } from '../../src/schema/npy.js';
import { duck, lit } from '../duckdb.js';
import { sharedData } from '../shared-data.js';

const SMALL_CASES = 144;

describe('.npy codec (ndarray fields)', () => {
  it('writes the exact bytes numpy.save writes', () => {
    // numpy.save(b, numpy.arange(6, dtype='<f4').reshape(2, 3)) → header of 118 bytes, data at offset 128.
    const bytes = encodeNpy({ shape: [2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }, 'float32');
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expect([...bytes.subarray(0, 10)]).to.deep.equal([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
    expect(Buffer.from(bytes.subarray(10, 128)).toString('latin1')).to.equal(header + ' '.repeat(118 - header.length - 1) + '\n');
    expect(bytes.length).to.equal(128 + 24);
    expect([...new Float32Array(bytes.slice(128).buffer)]).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  // Fixtures written by numpy 2.4.6's own header writer (test/schema/fixtures/npy-headers.py, which also checks
  // numpy.save's bytes for every shape small enough to allocate).
  it('writes the header numpy.save writes for every shape and dtype of the numpy-generated fixture, growth padding included', () => {
    const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'npy-headers.json'), 'utf8')) as { numpy: string; cases: { descr: string; shape: number[]; header: string }[] };
    expect(fixture.cases.length).to.equal(1368);
    const long = fixture.cases.filter((c) => c.header.length === 192);
    expect(long.length).to.equal(312); // the data starts at byte 192: long shapes, and headers numpy pads by a whole 64
    for (const c of fixture.cases) {
      expect(Buffer.from(npyHeader(c.shape, c.descr)).toString('latin1'), `${c.descr} (${c.shape.join(', ')})`).to.equal(c.header);
    }
    const dtypeOf: Record<string, 'int32' | 'int64' | 'uint8' | 'float32' | 'float64' | 'bool'> = { '<i4': 'int32', '<i8': 'int64', '|u1': 'uint8', '<f4': 'float32', '<f8': 'float64', '|b1': 'bool' };
    // and encodeNpy writes that header before the data, for every case small enough to allocate here
    const small = fixture.cases.filter((x) => x.shape.reduce((a, b) => a * b, 1) <= 64);
    expect(small.length).to.equal(SMALL_CASES);
    for (const c of small) {
      const dtype = dtypeOf[c.descr]!;
      const n = c.shape.reduce((a, b) => a * b, 1);
      const data = dtype === 'int64' ? new BigInt64Array(n) : new (dtype === 'int32' ? Int32Array : dtype === 'float32' ? Float32Array : dtype === 'float64' ? Float64Array : Uint8Array)(n);
      const bytes = encodeNpy({ shape: c.shape, data }, dtype);
      expect(Buffer.from(bytes.subarray(0, c.header.length)).toString('latin1')).to.equal(c.header);
      expect(bytes.length).to.equal(c.header.length + data.byteLength);
      expect(decodeNpy(bytes).value.shape).to.deep.equal(c.shape);
    }
  });

  it('writes a 1-d shape as numpy does, with a trailing comma', () => {
    const bytes = encodeNpy({ shape: [4], data: new BigInt64Array([1n, 2n, 3n, -4n]) }, 'int64');
    expect(Buffer.from(bytes).toString('latin1')).to.contain("'descr': '<i8', 'fortran_order': False, 'shape': (4,), }");
  });

  for (const [dtype, data] of [
    ['int32', new Int32Array([1, -2, 3, 2147483647])],
    ['int64', new BigInt64Array([1n, -(2n ** 62n), 3n, 4n])],
    ['uint8', new Uint8Array([0, 1, 254, 255])],
    ['float32', new Float32Array([0.5, -1.25, 3e38, -0])],
    ['float64', new Float64Array([Math.PI, -Math.E, 1e-300, 5e300])],
    ['bool', new Uint8Array([1, 0, 0, 1])],
  ] as const) {
    it(`round-trips a ${dtype} tensor`, () => {
      const { value, dtype: back } = decodeNpy(encodeNpy({ shape: [2, 2], data }, dtype));
      expect(back).to.equal(dtype);
      expect(value.shape).to.deep.equal([2, 2]);
      expect(value.data.constructor).to.equal(data.constructor);
      expect([...value.data]).to.deep.equal([...data]);
    });
  }

  it('reads big-endian and Fortran-order arrays', () => {
    const header = "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }";
    const padded = header + ' '.repeat(128 - 10 - header.length - 1) + '\n';
    const bytes = new Uint8Array(128 + 24);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]);
    bytes.set(Buffer.from(padded, 'latin1'), 10);
    // Column-major [[1, 2, 3], [4, 5, 6]] is 1 4 2 5 3 6, each big-endian.
    const view = new DataView(bytes.buffer);
    [1, 4, 2, 5, 3, 6].forEach((v, i) => view.setInt32(128 + 4 * i, v, false));
    const { value } = decodeNpy(bytes);
    expect([...value.data]).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('refuses bytes that are not .npy with a SchemaError saying why', () => {
    expect(() => decodeNpy(new Uint8Array([1, 2, 3]), 'row 3 field "m"')).to.throw(SchemaError, /row 3 field "m": not a readable \.npy array: missing/);
    const truncated = encodeNpy({ shape: [8], data: new Float64Array(8) }, 'float64').subarray(0, 136);
    expect(() => decodeNpy(truncated)).to.throw(SchemaError, /shape \(8\) needs 64/);
  });

  it('decodes the matrix field of a store written by Python Petastorm (read by DuckDB)', async function () {
    const dir = join(sharedData(this, 'petastorm-legacy', '0.7.6'), 'partition_key=p_0');
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.parquet'))!);
    const rows = await duck(`select id, matrix, matrix_uint16 from read_parquet(${lit(file)}) order by id`);
    expect(rows.length).to.equal(10);
    for (const row of rows) {
      const m = decodeNpy(row.matrix as Uint8Array);
      expect(m.dtype).to.equal('float32');
      expect(m.value.shape).to.deep.equal([32, 16, 3]);
      expect(m.value.data.length).to.equal(32 * 16 * 3);
      const u = decodeNpy(row.matrix_uint16 as Uint8Array);
      expect(u.dtype).to.equal('uint16');
      // A re-encode of the decoded matrix reproduces Petastorm's bytes exactly.
      expect(Buffer.from(encodeNpy(m.value, 'float32')).equals(Buffer.from(row.matrix as Uint8Array))).to.equal(true);
    }
  });
});
