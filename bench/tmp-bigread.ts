import { makeBatchReader } from '../src/index.js';
const dir = process.argv[2];
const t0 = performance.now();
const reader = await makeBatchReader(dir, { batchSize: 65536, columns: ['a','b'], ...(process.argv[3] ? { workers: Number(process.argv[3]) } : {}) });
let rows = 0, first = 0, s = 0;
for await (const b of reader) { if (!rows) first = performance.now() - t0; rows += b.numRows; s += (b.columns.a as Float32Array)[0]! + (b.columns.b as Float64Array)[b.numRows - 1]!; }
console.log(rows, s.toFixed(3), 'first', first.toFixed(0), 'all', (performance.now()-t0).toFixed(0), 'rss', (process.memoryUsage().rss/2**20).toFixed(0));
