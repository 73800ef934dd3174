/**
 * `npm start`: the default pipeline on embedded data, offline. A SYNTHETIC Bitcoin-like hourly series is
 * backfilled into a collector CSV through the same path a live CoinGecko backfill uses, then materialized
 * into a schema-checked Parquet store, which is inspected.
 *
 *   npm start                      # one synthetic year into ./out/
 *   npm start -- --hours 2000      # a smaller run
 */
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backfill } from '../src/ingest/backfill.js';
import { SyntheticMarketChart } from '../src/ingest/synthetic-market.js';
import { importCsv, openStore } from '../src/index.js';

const { values } = parseArgs({ options: { hours: { type: 'string', default: String(365 * 24) }, out: { type: 'string', default: 'out' }, seed: { type: 'string', default: '42' } } });
const hours = Number(values.hours);
const outDir = values.out!;
const csvPath = join(outDir, 'synthetic-btc-hourly.csv');
const storeDir = join(outDir, 'synthetic-btc-store');
rmSync(csvPath, { force: true });
mkdirSync(outDir, { recursive: true });

const market = new SyntheticMarketChart({ seed: Number(values.seed) });
const from = market.start;
const to = from + (hours - 1) * 3_600_000;
console.log(`[SYNTHETIC DATA] ${hours} hourly Bitcoin-like prices (seed ${market.seed}), not real market data.`);
const t0 = performance.now();
const filled = await backfill({ client: market, csvPath, from, to, log: () => {} });
console.log(`ingest:      ${csvPath} (${JSON.stringify(filled)})`);
const result = await importCsv(csvPath, storeDir, { mode: 'overwrite', rowGroupSize: 1_000 });
console.log(`materialize: ${result.numRows} rows → ${storeDir} (${result.files.length} part file, ${result.rowGroups} row groups, layout ${result.layout})`);
const store = await openStore(storeDir);
const ts = store.rowGroups.map((rg) => rg.columns.timestamp!);
const price = store.rowGroups.map((rg) => rg.columns.price_usd!);
console.log(`store:       ${store.numRows} rows, ${store.byteLength} bytes, ${store.compression.join('/')}, ` +
  `${new Date(ts[0]!.min as number).toISOString()} → ${new Date(ts[ts.length - 1]!.max as number).toISOString()}, ` +
  `price ${Math.min(...price.map((p) => p.min as number)).toFixed(0)}..${Math.max(...price.map((p) => p.max as number)).toFixed(0)} USD [SYNTHETIC]`);
console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s. Inspect it with: npx tfpl inspect ${storeDir}`);
