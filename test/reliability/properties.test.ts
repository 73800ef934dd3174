import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaError } from '../../src/errors.js';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { materializeDataset } from '../../src/materialize/materialize.js';
import { BitcoinSchema } from '../../src/forecasting/schemas.js';
import { assignShards, RowGroupPlan } from '../../src/readers/row-group-plan.js';
import { DTYPES, FLOAT32_MAX, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, TENSOR_DTYPES, type DType } from '../../src/schema/dtype.js';
import { type FieldSpec, type Unischema, type UnischemaField, defineSchema } from '../../src/schema/unischema.js';
import { compileRowValidator, validateColumns } from '../../src/schema/validate.js';
import type { Column } from '../../src/schema/columns.js';
import { scanSource } from '../../src/windowing/source-scan.js';
import { SeriesKeys } from '../../src/windowing/series-keys.js';
import { type BatchPlan, windowBatches } from '../../src/windowing/window-batches.js';
import { SeriesWindows, windowGeometry } from '../../src/windowing/window-plan.js';
import { columnsSource } from '../../src/windowing/window-source.js';
import { reliabilityCounts } from './counts.js';
import { crashRows } from './fixtures/crash-rows.js';

/**
 * Properties over generated inputs (fast-check, fixed seeds so CI runs the same cases every time):
 * windowing geometry, shard partitioning, and schema validation.
 */

const RUNS = 300;
const params = (seed: number) => ({ seed, numRuns: RUNS, endOnFailure: true });

describe('reliability: properties', function () {
  this.timeout(60_000);

  describe('windowing (the unit assembler and the closed-form window count)', () => {
    /** Rows with timestamps 1 apart except for random gaps; x = row index, p = a positive series for log returns. */
    const seriesArb = fc.record({
      n: fc.integer({ min: 0, max: 120 }),
      windowSize: fc.integer({ min: 1, max: 8 }),
      horizon: fc.integer({ min: 1, max: 4 }),
      stride: fc.integer({ min: 1, max: 5 }),
      samplingRate: fc.integer({ min: 1, max: 3 }),
      lead: fc.constantFrom(0 as const, 1 as const),
      maxGap: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      gaps: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 120, maxLength: 120 }),
      chunkRows: fc.integer({ min: 1, max: 40 }),
      rangeCut: fc.tuple(fc.nat({ max: 10 }), fc.nat({ max: 10 })),
    });

    type Case = { n: number; windowSize: number; horizon: number; stride: number; samplingRate: number; lead: 0 | 1; maxGap?: number; gaps: number[]; chunkRows: number; rangeCut: [number, number] };

    /** Every window the window stage builds for case c (over chunks of c.chunkRows rows), with its start row. */
    async function run(c: Case) {
      const t = new Float64Array(c.n);
      for (let i = 1; i < c.n; i++) t[i] = t[i - 1]! + c.gaps[i]!;
      const x = Float64Array.from({ length: c.n }, (_, i) => i);
      const p = Float64Array.from({ length: c.n }, (_, i) => 1 + i);
      const geom = windowGeometry({ windowSize: c.windowSize, horizon: c.horizon, samplingRate: c.samplingRate, stride: c.stride, lead: c.lead });
      const range = { start: Math.min(c.n, c.rangeCut[0]), end: Math.max(Math.min(c.n, c.rangeCut[0]), c.n - c.rangeCut[1]) };
      const breaks: number[] = [];
      if (c.maxGap !== undefined) for (let i = 1; i < c.n; i++) if (t[i]! - t[i - 1]! > c.maxGap) breaks.push(i);
      const source = columnsSource({ t, x, p }, { chunkRows: c.chunkRows });
      const keys = new SeriesKeys([], 'property');
      const facts = await scanSource(source, { fn: 'property', seriesColumns: [], columns: [], staticColumns: [], timestampColumn: c.maxGap !== undefined ? 't' : undefined, maxGap: c.maxGap, keys });
      const series = new SeriesWindows(geom, range, facts.series[0]?.breaks ?? []);
      const plan: BatchPlan = {
        source,
        facts,
        assembler: { fn: 'property', geom, columns: ['x', 'p'], logReturn: Uint8Array.from([0, c.lead]), offset: new Float64Array(2), scale: Float64Array.from([1, 1]), featureIdx: Int32Array.from([0]), targetIdx: Int32Array.from([0]), keys: null },
        shares: [series.count > 0 ? { windows: series, lo: 0, hi: series.count } : null],
        balanced: null,
        extras: { series: false, statics: null, staticCount: 0, calendar: false },
        readColumns: ['x', 'p'],
        batchSize: 1,
        dropRemainder: false,
        shuffle: { kind: 'none' },
      };
      const windows: { start: number; xs: number[]; ys: number[] }[] = [];
      for await (const b of windowBatches(plan, 0, 0)) windows.push({ start: b.xs[0]!, xs: [...b.xs], ys: [...b.ys] });
      return { t, geom, range, breaks, windows, count: series.count, scannedBreaks: facts.series[0]?.breaks ?? [] };
    }

    it('the number of windows is the closed-form count, and without gaps the Keras formula', async () => {
      await fc.assert(
        fc.asyncProperty(seriesArb, async (c) => {
          const r = await run(c);
          expect(r.windows.length).to.equal(r.count);
          expect(r.scannedBreaks).to.deep.equal(r.breaks);
          if (r.breaks.length === 0) {
            const usable = r.range.end - r.range.start - c.lead;
            const keras = usable >= r.geom.span ? Math.floor((usable - r.geom.span) / c.stride) + 1 : 0;
            expect(r.count).to.equal(keras);
          }
        }),
        params(71),
      );
      reliabilityCounts.add('properties.cases', RUNS);
    });

    it('no window spans a gap larger than maxGap (from its lead row to its last target)', async () => {
      await fc.assert(
        fc.asyncProperty(seriesArb.filter((c) => c.maxGap !== undefined), async (c) => {
          const r = await run(c);
          for (const w of r.windows) {
            for (let i = w.start - c.lead + 1; i < w.start + r.geom.span; i++) expect(r.t[i]! - r.t[i - 1]!, `window at ${w.start}, rows ${i - 1}..${i}`).to.be.at.most(c.maxGap!);
          }
          // and every gap-free stretch long enough for a window got one (windows are not dropped needlessly)
          const starts = new Set(r.windows.map((w) => w.start));
          for (let s = r.range.start + c.lead; s + r.geom.span <= r.range.end; s += c.stride) {
            let ok = true;
            for (let i = s - c.lead + 1; i < s + r.geom.span; i++) if (r.t[i]! - r.t[i - 1]! > c.maxGap!) ok = false;
            expect(starts.has(s), `start ${s}`).to.equal(ok);
          }
        }),
        params(72),
      );
      reliabilityCounts.add('properties.cases', RUNS);
    });

    it("every input is its window's row and every target lies in the window's horizon", async () => {
      await fc.assert(
        fc.asyncProperty(seriesArb, async (c) => {
          const r = await run(c);
          for (const w of r.windows) {
            expect(w.start).to.be.at.least(r.range.start + c.lead);
            expect(w.xs).to.deep.equal(Array.from({ length: c.windowSize }, (_, k) => w.start + k * c.samplingRate));
            const lastInput = w.start + (c.windowSize - 1) * c.samplingRate;
            expect(w.ys).to.deep.equal(Array.from({ length: c.horizon }, (_, h) => lastInput + (h + 1) * c.samplingRate));
            expect(lastInput + c.horizon * c.samplingRate).to.be.below(r.range.end);
          }
        }),
        params(73),
      );
      reliabilityCounts.add('properties.cases', RUNS);
    });
  });

  describe('shard partitioning (assignShards, RowGroupPlan)', () => {
    const groupsArb = fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 60 }).chain((sizes) =>
      fc.record({
        groups: fc.constant(sizes.map((numRows, ordinal) => ({ ordinal, numRows }))),
        shardCount: fc.integer({ min: 1, max: sizes.length }),
        seed: fc.nat(),
        epoch: fc.nat({ max: 50 }),
      }),
    );

    it('shards are disjoint and complete, keep store order, and differ by at most the largest row group', () => {
      fc.assert(
        fc.property(groupsArb, ({ groups, shardCount }) => {
          const shards = assignShards(groups, shardCount);
          expect(shards).to.have.length(shardCount);
          const all = shards.flat().map((g) => g.ordinal).sort((a, b) => a - b);
          expect(all).to.deep.equal(groups.map((g) => g.ordinal));
          for (const s of shards) expect(s.map((g) => g.ordinal)).to.deep.equal([...s.map((g) => g.ordinal)].sort((a, b) => a - b));
          const rows = shards.map((s) => s.reduce((sum, g) => sum + g.numRows, 0));
          expect(Math.max(...rows) - Math.min(...rows)).to.be.at.most(Math.max(...groups.map((g) => g.numRows)));
        }),
        params(81),
      );
      reliabilityCounts.add('properties.cases', RUNS);
    });

    it('the plans of all shards cover every row group once in every epoch, reproducibly from the seed', () => {
      fc.assert(
        fc.property(groupsArb, fc.boolean(), ({ groups, shardCount, seed, epoch }, shuffle) => {
          const plans = Array.from({ length: shardCount }, (_, shardIndex) => new RowGroupPlan(groups, { shardIndex, shardCount, shuffleRowGroups: shuffle, seed }));
          const read = plans.flatMap((p) => p.epoch(epoch).map((g) => g.ordinal));
          expect([...read].sort((a, b) => a - b)).to.deep.equal(groups.map((g) => g.ordinal));
          expect(plans.reduce((s, p) => s + p.numRows, 0)).to.equal(groups.reduce((s, g) => s + g.numRows, 0));
          const again = new RowGroupPlan(groups, { shardIndex: 0, shardCount, shuffleRowGroups: shuffle, seed });
          expect(again.epoch(epoch)).to.deep.equal(plans[0]!.epoch(epoch));
        }),
        params(82),
      );
      reliabilityCounts.add('properties.cases', RUNS);
    });
  });

  describe('shard partitioning through the loader', () => {
    let root = '';
    before(() => {
      root = mkdtempSync(join(tmpdir(), 'tfpl-shards-'));
    });
    after(() => rmSync(root, { recursive: true, force: true }));

    it('the shards of makeBatchReader over a real store are disjoint and complete, with or without shuffling', async () => {
      let store = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.record({ rows: fc.integer({ min: 1, max: 3000 }), rowGroupSize: fc.integer({ min: 50, max: 700 }), shardPick: fc.nat(), shuffle: fc.boolean(), seed: fc.nat() }),
          async ({ rows, rowGroupSize, shardPick, shuffle, seed }) => {
            const dir = join(root, `s${store++}`);
            await materializeDataset(dir, BitcoinSchema, crashRows(0, rows), { rowGroupSize, maxRowsPerFile: rowGroupSize * 3 });
            const rowGroups = Math.ceil(rows / rowGroupSize);
            const shardCount = 1 + (shardPick % rowGroups);
            const seen: number[] = [];
            for (let shardIndex = 0; shardIndex < shardCount; shardIndex++) {
              const reader = await makeBatchReader(dir, { shardIndex, shardCount, columns: ['market_cap'], workers: 0, ...(shuffle ? { shuffleRowGroups: true, seed } : {}) });
              let n = 0;
              for await (const b of reader) {
                seen.push(...(b.columns.market_cap as Float64Array));
                n += b.numRows;
              }
              expect(n).to.equal(reader.numRows);
            }
            seen.sort((a, b) => a - b);
            expect(seen.length).to.equal(rows);
            expect(seen.every((v, i) => v === i), 'every row exactly once across the shards').to.equal(true);
          },
        ),
        { seed: 83, numRuns: 25, endOnFailure: true },
      );
      reliabilityCounts.add('properties.cases', 25);
    });
  });

  describe('schema validation', () => {
    const NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const fieldArb = (name: string) =>
      fc.oneof(
        { weight: 4, arbitrary: fc.record({ name: fc.constant(name), dtype: fc.constantFrom(...DTYPES), nullable: fc.boolean() }) },
        {
          weight: 1,
          arbitrary: fc.record({
            name: fc.constant(name),
            dtype: fc.constantFrom(...TENSOR_DTYPES),
            shape: fc.array(fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }), { minLength: 1, maxLength: 2 }),
            nullable: fc.boolean(),
          }),
        },
      );
    const schemaArb = fc.shuffledSubarray(NAMES, { minLength: 1, maxLength: NAMES.length }).chain((names) => fc.tuple(...names.map(fieldArb))).map((specs) => defineSchema('Generated', specs as FieldSpec[]));

    const TENSOR_ARRAYS = { int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, float32: Float32Array, float64: Float64Array, bool: Uint8Array } as const;

    function scalarArb(dtype: DType): fc.Arbitrary<unknown> {
      switch (dtype) {
        case 'int32':
          return fc.integer({ min: INT32_MIN, max: INT32_MAX });
        case 'int64':
          return fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.maxSafeInteger());
        case 'uint8':
          return fc.integer({ min: 0, max: 255 });
        case 'float32':
          return fc.float({ noNaN: true, noDefaultInfinity: true });
        case 'float64':
          return fc.double({ noNaN: true, noDefaultInfinity: true });
        case 'bool':
          return fc.boolean();
        case 'string':
          return fc.string({ unit: 'grapheme' });
        case 'timestamp':
          return fc.oneof(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: -8.64e15, max: 8.64e15 }).map((ms) => new Date(ms)));
      }
    }

    function tensorArb(f: UnischemaField): fc.Arbitrary<unknown> {
      return fc.tuple(...f.shape.map((d) => (d === null ? fc.integer({ min: 0, max: 3 }) : fc.constant(d)))).chain((shape) => {
        const count = shape.reduce((a, b) => a * b, 1);
        const Ctor = TENSOR_ARRAYS[f.dtype as keyof typeof TENSOR_ARRAYS];
        const elem = f.dtype === 'int64' ? fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }) : f.dtype === 'float32' || f.dtype === 'float64' ? fc.float({ noNaN: true, noDefaultInfinity: true }) : fc.integer({ min: 0, max: f.dtype === 'int32' ? 1000 : 1 });
        return fc.array(elem as fc.Arbitrary<number>, { minLength: count, maxLength: count }).map((values) => ({ shape, data: (Ctor as unknown as { from(v: unknown[]): ArrayBufferView }).from(values) }));
      });
    }

    function valueArb(f: UnischemaField): fc.Arbitrary<unknown> {
      const v = f.codec === 'ndarray' ? tensorArb(f) : scalarArb(f.dtype);
      return f.nullable ? fc.option(v, { nil: null, freq: 4 }) : v;
    }

    const rowArb = (schema: Unischema) => fc.record(Object.fromEntries(schema.fields.map((f) => [f.name, valueArb(f)])) as Record<string, fc.Arbitrary<unknown>>);

    /** Values that break field `f` whatever its nullability. */
    function corruptions(f: UnischemaField): unknown[] {
      const nonNull = f.nullable ? [] : [null];
      if (f.codec === 'ndarray') {
        const Ctor = TENSOR_ARRAYS[f.dtype as keyof typeof TENSOR_ARRAYS];
        const wrongType = Ctor === Float64Array ? Int32Array : Float64Array;
        const shape = f.shape.map((d) => d ?? 2);
        const count = shape.reduce((a, b) => a * b, 1);
        const bad: unknown[] = [...nonNull, 'not a tensor', { shape, data: new wrongType(count) }, { shape: [...shape, 2], data: new Ctor(count * 2) }, { shape, data: new Ctor(count + 1) }];
        if (f.dtype === 'float32' || f.dtype === 'float64') bad.push({ shape, data: (Ctor as Float64ArrayConstructor).from({ length: count }, () => NaN) });
        return bad;
      }
      const byType: Record<DType, unknown[]> = {
        int32: [1.5, INT32_MAX + 1, '1', 1n],
        int64: [1.5, 2 ** 53 + 2, 2n ** 63n, '1'],
        uint8: [256, -1, 0.5, true],
        float32: [NaN, Infinity, 1e39, -FLOAT32_MAX * 2, '1'],
        float64: [NaN, -Infinity, 'x', 1n],
        bool: [0, 'true', 1],
        string: [1, {}, ['a']],
        timestamp: [new Date(Number.NaN), 1.5, '2024-01-01', 2 ** 60],
      };
      return [...nonNull, ...byType[f.dtype]];
    }

    it('a valid row always passes; the same row with one field corrupted always fails naming that field', () => {
      fc.assert(
        fc.property(
          schemaArb.chain((schema) => fc.tuple(fc.constant(schema), rowArb(schema), fc.nat(), fc.nat(), fc.nat({ max: 1_000_000 }))),
          ([schema, row, fieldPick, corruptionPick, rowIndex]) => {
            const validate = compileRowValidator(schema);
            validate(row, rowIndex);
            const f = schema.fields[fieldPick % schema.fields.length]!;
            const options = corruptions(f);
            const bad = options[corruptionPick % options.length];
            let err: unknown;
            try {
              validate({ ...row, [f.name]: bad }, rowIndex);
            } catch (e) {
              err = e;
            }
            expect(err, `field ${f.name} (${f.dtype}${f.shape.length ? `[${f.shape}]` : ''}${f.nullable ? ', nullable' : ''}) set to ${String(bad)}`).to.be.instanceOf(SchemaError);
            expect((err as SchemaError).field).to.equal(f.name);
            expect((err as SchemaError).row).to.equal(rowIndex);
            expect((err as Error).message).to.contain(`field ${JSON.stringify(f.name)}`);
          },
        ),
        params(91),
      );
      reliabilityCounts.add('properties.cases', RUNS);
    });

    it('an unknown extra field always fails naming it', () => {
      fc.assert(
        fc.property(schemaArb.chain((schema) => fc.tuple(fc.constant(schema), rowArb(schema))), ([schema, row]) => {
          let err: unknown;
          try {
            compileRowValidator(schema)({ ...row, zz_extra: 1 }, 0);
          } catch (e) {
            err = e;
          }
          expect(err).to.be.instanceOf(SchemaError);
          expect((err as SchemaError).field).to.equal('zz_extra');
        }),
        params(92),
      );
      reliabilityCounts.add('properties.cases', RUNS);
    });

    /** Columns of `rows` in the documented ColumnBatch layout (typed arrays; NaN for null floats/timestamps). */
    function toColumns(schema: Unischema, rows: Record<string, unknown>[]): Record<string, Column> {
      const out: Record<string, Column> = {};
      for (const f of schema.fields) {
        const values = rows.map((r) => r[f.name]);
        if (f.codec === 'ndarray' || f.dtype === 'string' || f.dtype === 'bool' || (f.nullable && f.dtype !== 'float32' && f.dtype !== 'float64' && f.dtype !== 'timestamp')) {
          out[f.name] = values.map((v) => (f.dtype === 'int64' && typeof v === 'number' ? BigInt(v) : v)) as Column;
        } else if (f.dtype === 'timestamp') out[f.name] = Float64Array.from(values, (v) => (v === null ? NaN : v instanceof Date ? v.getTime() : (v as number)));
        else if (f.dtype === 'int64') out[f.name] = BigInt64Array.from(values, (v) => BigInt(v as number | bigint));
        else {
          const Ctor = { int32: Int32Array, uint8: Uint8Array, float32: Float32Array, float64: Float64Array }[f.dtype as 'int32'];
          out[f.name] = Ctor.from(values, (v) => (v === null ? NaN : (v as number)));
        }
      }
      return out;
    }

    /**
     * A value the column of `f` can hold but the field may not: out of range or not finite. Typed int32,
     * uint8 and int64 columns cannot hold a wrong value at all; nullable ones are JS arrays (with nulls).
     */
    function badCell(f: UnischemaField): unknown | undefined {
      if (f.codec !== 'scalar') return undefined;
      if (f.dtype === 'timestamp') return 0.5;
      if (f.dtype === 'float32') return Infinity;
      if (f.dtype === 'float64') return f.nullable ? -Infinity : NaN; // NaN is null in a nullable float column
      if (!f.nullable) return undefined;
      if (f.dtype === 'int32') return INT32_MAX + 1;
      if (f.dtype === 'uint8') return 256;
      if (f.dtype === 'int64') return 2n ** 63n;
      return undefined;
    }

    it('validateColumns: valid columns always pass; one corrupted numeric cell, integer or float, always fails naming field and row', () => {
      fc.assert(
        fc.property(
          schemaArb.chain((schema) => fc.tuple(fc.constant(schema), fc.array(rowArb(schema), { minLength: 1, maxLength: 20 }), fc.nat(), fc.nat())),
          ([schema, rows, fieldPick, rowPick]) => {
            const columns = toColumns(schema, rows);
            validateColumns(schema, { numRows: rows.length, columns });
            const corruptible = schema.fields.filter((f) => badCell(f) !== undefined);
            if (corruptible.length === 0) return;
            const f = corruptible[fieldPick % corruptible.length]!;
            const r = rowPick % rows.length;
            (columns[f.name] as unknown[])[r] = badCell(f);
            let err: unknown;
            try {
              validateColumns(schema, { numRows: rows.length, columns });
            } catch (e) {
              err = e;
            }
            expect(err).to.be.instanceOf(SchemaError);
            expect((err as SchemaError).field).to.equal(f.name);
            expect((err as SchemaError).row).to.equal(r);
          },
        ),
        params(93),
      );
      reliabilityCounts.add('properties.cases', RUNS);
    });

    // Regression: the column path once let ±Infinity through float64 and timestamp columns.
    it('validateColumns refuses ±Infinity in float64 and timestamp columns, like the row validator', () => {
      const schema = defineSchema('S', [
        { name: 'timestamp', dtype: 'timestamp' },
        { name: 'x', dtype: 'float64', nullable: true },
      ]);
      expect(() => validateColumns(schema, { numRows: 1, columns: { timestamp: Float64Array.from([0]), x: Float64Array.from([Infinity]) } })).to.throw(SchemaError, /"x"/);
      expect(() => validateColumns(schema, { numRows: 1, columns: { timestamp: Float64Array.from([Infinity]), x: Float64Array.from([1]) } })).to.throw(SchemaError, /"timestamp"/);
      expect(() => compileRowValidator(schema)({ timestamp: 0, x: Infinity }, 0)).to.throw(SchemaError, /must be a finite number/);
    });

    // Regression: a nullable int32/uint8 column as a JS array with nulls (what importCsv builds) was refused.
    it('validateColumns accepts a nullable int32/uint8 column as a JS array with nulls', () => {
      const schema = defineSchema('S', [
        { name: 'timestamp', dtype: 'timestamp' },
        { name: 'n', dtype: 'int32', nullable: true },
        { name: 'u', dtype: 'uint8', nullable: true },
      ]);
      validateColumns(schema, { numRows: 2, columns: { timestamp: Float64Array.from([0, 1]), n: [1, null], u: [2, null] } });
    });
  });
});
