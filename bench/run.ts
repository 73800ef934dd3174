// `npm run bench` / `tfpl bench`: batch throughput of this SDK next to the alternatives, same data, same run.
// Generates (or reuses) a synthetic store + CSV, runs every case in its own process after an in-process
// warm-up, repeats round-robin so machine noise spreads over all cases, and prints a table of medians,
// the ratios with the issue's targets, and (--json) everything as JSON.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBigData } from './big-data.js';
import { type BenchData, ensureData, ensurePrefixCsv } from './data.js';
import { allJobs, type DataKey, type Job } from './jobs.js';
import { keptAnalysis, renderMarkdown } from './markdown.js';
import { ensureSeriesStore, type SeriesData, type SeriesLayout } from './series-data.js';
import { type CaseParams, type CaseResult, RESULT_PREFIX } from './measure.js';
import { type CaseSummary, formatReport, ratios, summarize } from './report.js';
import { zstdDecoder } from '../src/index.js';
import { bundleBrowser } from '../scripts/bundle-browser.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Row groups of the remote cases' store: small, so an epoch makes many requests (as the issue measured). */
const REMOTE_ROW_GROUP = 16_384;
const root = resolve(here, '..');

export const USAGE = `Usage: npm run bench -- [options]      (or: tfpl bench [options], from a source checkout)

Runs each case in its own process after a warm-up, --repeats times, and prints medians and ratios.

Options:
  --rows N              rows of the synthetic series (default 10000000)
  --window N            time steps per window (default 48)
  --features N          float32 features per row (default 4)
  --batch N             windows per batch (default 64)
  --repeats N           timed runs per case (default 3; the remote cache and many-series RSS cases run once)
  --workers N           DuckDB threads and decode-only workers (default 2)
  --sdk-workers N       decode workers of the SDK's window cases (default: the SDK's own default, cores − 1,
                        at most 4: what a user who passes nothing gets)
  --budget S            seconds of timed iteration for the capped baselines (csv, generator; default 10)
  --warmup-batches N    batches consumed before timing (default 100)
  --fit-batches N       timed training batches of each fit case (default 50)
  --materialize-rows N  rows of the CSV the materialize cases convert (default 1000000)
  --compression C       store compression: zstd (materializeDataset's default), snappy, none (default zstd)
  --rss-rows A,B        row counts of the small and large RSS stores (default 5000000,50000000)
  --series N            series of the many-series cases (default 100)
  --series-rows N       rows of every many-series store, all series together (default 10000000)
  --series-rss A,B,...  series counts of the many-series RSS cases, interleaved (default 10,1000)
  --remote-rows N       rows of the remote cases' store, in row groups of 16,384 (default 1000000)
  --latency MS          ms the remote-latency server adds to every answer (default 40)
  --big-rows N          rows of the one-row-group file of the big-* cases, written by DuckDB (default 20000000)
  --zeros-rows N        int32 zeros in the one row group of the zeros-* cases, written by pyarrow (default 300000000)
  --cases a,b,...       run only these cases (ids in the table; default all but the optional decode-w0,
                        which decodes on the calling thread)
  --backend NAME        tfjs backend of the data cases: wasm, cpu (default: initBackend's choice)
  --cache-dir DIR       where generated data is cached (default .cache/bench)
  --json                print the JSON document on stdout (the table goes to stderr)
  --out FILE            also write the JSON document to FILE
  --markdown FILE       also write FILE (e.g. BENCHMARKS.md): machine, command, table, ratios, JSON
  --timeout S           kill a case run after S seconds (default 600)
  --tsx                 run the cases from the TypeScript sources under tsx instead of compiling them
                        first (tsx adds ~150 MiB RSS per process and loads itself into every worker)
  -h, --help            show this help`;

const int = (name: string, v: string, min = 1): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`bench: --${name} must be an integer >= ${min}; received ${JSON.stringify(v)}`);
  return n;
};

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string', default: '10000000' },
      window: { type: 'string', default: '48' },
      features: { type: 'string', default: '4' },
      batch: { type: 'string', default: '64' },
      repeats: { type: 'string', default: '3' },
      workers: { type: 'string', default: '2' },
      'sdk-workers': { type: 'string' },
      budget: { type: 'string', default: '10' },
      'warmup-batches': { type: 'string', default: '100' },
      'fit-batches': { type: 'string', default: '50' },
      'materialize-rows': { type: 'string', default: '1000000' },
      'rss-rows': { type: 'string', default: '5000000,50000000' },
      series: { type: 'string', default: '100' },
      'series-rows': { type: 'string', default: '10000000' },
      'series-rss': { type: 'string', default: '10,1000' },
      'remote-rows': { type: 'string', default: '1000000' },
      'big-rows': { type: 'string', default: '20000000' },
      'zeros-rows': { type: 'string', default: '300000000' },
      latency: { type: 'string', default: '40' },
      compression: { type: 'string', default: 'zstd' },
      cases: { type: 'string' },
      backend: { type: 'string' },
      'cache-dir': { type: 'string', default: join(root, '.cache', 'bench') },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      markdown: { type: 'string' },
      timeout: { type: 'string', default: '600' },
      tsx: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const rssRows = values['rss-rows'].split(',').map((v) => int('rss-rows', v.trim()));
  if (rssRows.length !== 2) throw new Error(`bench: --rss-rows must be two row counts A,B; received ${JSON.stringify(values['rss-rows'])}`);
  const budget = Number(values.budget);
  if (!(budget > 0)) throw new Error(`bench: --budget must be a number of seconds > 0; received ${JSON.stringify(values.budget)}`);
  if (values.backend !== undefined && !['wasm', 'cpu', 'tensorflow'].includes(values.backend)) {
    throw new Error(`bench: --backend must be wasm, cpu or tensorflow; received ${JSON.stringify(values.backend)}`);
  }
  const compression = values.compression as 'zstd' | 'snappy' | 'none';
  if (!['zstd', 'snappy', 'none'].includes(compression)) throw new Error(`bench: --compression must be zstd, snappy or none; received ${JSON.stringify(values.compression)}`);
  const workers = int('workers', values.workers, 0);
  const sdkWorkers = values['sdk-workers'] === undefined ? undefined : int('sdk-workers', values['sdk-workers'], 0);
  const series = int('series', values.series);
  const seriesRows = int('series-rows', values['series-rows']);
  const seriesRss = values['series-rss'].split(',').map((v) => int('series-rss', v.trim()));
  for (const n of [series, ...seriesRss]) {
    if (seriesRows % n !== 0) throw new Error(`bench: --series-rows (${seriesRows}) must be a multiple of every series count; ${n} does not divide it`);
  }
  // The SDK's default decode workers (defaultWorkerCount), for the labels.
  const remote = { rows: int('remote-rows', values['remote-rows']), latencyMs: int('latency', values.latency, 0) };
  const jobs = allJobs(workers, sdkWorkers, Math.max(1, Math.min(4, availableParallelism() - 1)), { count: series, rss: seriesRss }, remote);
  const ids = values.cases?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids?.filter((id) => !jobs.some((j) => j.id === id));
  if (unknown?.length) throw new Error(`bench: unknown case(s) ${unknown.join(', ')}; cases: ${jobs.map((j) => j.id).join(', ')}`);
  return {
    help: values.help,
    rows: int('rows', values.rows),
    window: int('window', values.window),
    features: int('features', values.features),
    batch: int('batch', values.batch),
    repeats: int('repeats', values.repeats),
    workers,
    sdkWorkers,
    budget,
    warmupBatches: int('warmup-batches', values['warmup-batches'], 0),
    fitBatches: int('fit-batches', values['fit-batches']),
    materializeRows: int('materialize-rows', values['materialize-rows']),
    rssRows: rssRows as [number, number],
    series,
    seriesRows,
    seriesRss,
    remote,
    bigRows: int('big-rows', values['big-rows']),
    zerosRows: int('zeros-rows', values['zeros-rows']),
    compression,
    jobs: ids ? jobs.filter((j) => ids.includes(j.id)) : jobs.filter((j) => !j.optional),
    backend: values.backend as CaseParams['backend'],
    cacheDir: resolve(values['cache-dir']),
    json: values.json,
    out: values.out,
    markdown: values.markdown,
    timeout: int('timeout', values.timeout),
    tsx: values.tsx,
  };
}

type Options = ReturnType<typeof parse>;

/**
 * Compiles src/ and bench/ to plain JS in a private directory under the package root (so node_modules
 * resolves), so every case process — and its decode workers — runs what a published install runs, without
 * tsx. Returns the node arguments that start the case runner, and a cleanup.
 */
function compileCases(log: (msg: string) => void): { runner: string[]; cleanup: () => void } {
  const outDir = join(root, '.cache', 'bench-build', `${process.pid}-${Date.now()}`);
  mkdirSync(outDir, { recursive: true });
  const config = join(outDir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { noEmit: false, rootDir: root, outDir, sourceMap: false, declaration: false, types: ['node'] },
      include: [join(root, 'src'), join(root, 'bench')],
    }),
  );
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], { cwd: root, encoding: 'utf8' });
  const runner = join(outDir, 'bench', 'case-runner.js');
  const cleanup = () => rmSync(outDir, { recursive: true, force: true });
  process.once('exit', cleanup); // also after a crash
  process.once('SIGINT', () => process.exit(130)); // Ctrl-C: exit (and clean up) instead of dying on the signal
  if (!existsSync(runner)) {
    cleanup();
    throw new Error(`bench: compiling src/ and bench/ failed (use --tsx to run from the sources):\n${(r.stdout + r.stderr).trim().split('\n').slice(0, 20).join('\n')}`);
  }
  // Type errors still emit JS (another stage mid-edit); the run is valid, the errors are only reported.
  if (r.status !== 0) log(`tsc reported type errors (JS emitted, running it):\n${(r.stdout + r.stderr).trim().split('\n').slice(0, 5).join('\n')}`);
  log(`compiled src/ and bench/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { runner: [runner], cleanup };
}

/** Runs one case in a child process and returns its result (or throws with its stderr). */
function runCase(runner: string[], job: Job, params: CaseParams, timeoutSeconds: number): Promise<CaseResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...runner, job.case, JSON.stringify(params)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) return resolvePromise(JSON.parse(line.slice(RESULT_PREFIX.length)) as CaseResult);
      reject(new Error(`case ${job.id} exited with ${signal ?? code}${signal === 'SIGKILL' ? ` (timeout ${timeoutSeconds} s)` : ''}:\n${err.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}

function machine(backend: string | undefined) {
  const cpu = cpus()[0];
  return { cores: availableParallelism(), cpuModel: cpu?.model ?? 'unknown', memoryBytes: totalmem(), node: process.version, platform: `${process.platform}-${process.arch}`, backend };
}

export async function runBench(argv: string[], print: { out: (s: string) => void; log: (s: string) => void }): Promise<number> {
  const o: Options = parse(argv);
  if (o.help) {
    print.out(`${USAGE}\n`);
    return 0;
  }
  const t0 = performance.now();
  const load1Before = loadavg();
  const log = (msg: string) => print.log(`[bench] ${msg}\n`);
  const dataParams = (rows: number) => ({ rows, features: o.features, seed: 1, rowGroupSize: 65_536, maxRowsPerFile: 1_048_576, compression: o.compression });
  const needs = new Set<DataKey>(o.jobs.map((j) => j.data));
  const data: Partial<Record<DataKey, BenchData>> = {};
  const needCsv = o.jobs.some((j) => j.case === 'csv' || j.case === 'csv-parsed');
  data.main = await ensureData(o.cacheDir, dataParams(o.rows), { withCsv: needCsv, log });
  if (needs.has('rssSmall')) data.rssSmall = await ensureData(o.cacheDir, dataParams(o.rssRows[0]), { withCsv: false, log });
  if (needs.has('rssLarge')) data.rssLarge = await ensureData(o.cacheDir, dataParams(o.rssRows[1]), { withCsv: false, log });
  if (needs.has('remote')) data.remote = await ensureData(o.cacheDir, { ...dataParams(o.remote.rows), rowGroupSize: REMOTE_ROW_GROUP }, { withCsv: false, log });
  const big = needs.has('bigOne') || needs.has('bigMany') || needs.has('zeros') ? await ensureBigData(o.cacheDir, o.bigRows, o.zerosRows, log) : null;
  if (big && !big.zerosDir) log(`the zeros cases are skipped: ${big.zerosWhy}`);
  const seriesData = new Map<DataKey, SeriesData>();
  for (const key of needs) {
    if (!key.startsWith('series:')) continue;
    const [, layout, count] = key.split(':') as [string, SeriesLayout, string];
    const S = Number(count);
    seriesData.set(key, await ensureSeriesStore(o.cacheDir, { series: S, rowsPerSeries: o.seriesRows / S, features: o.features, seed: 1, rowGroupSize: 65_536, layout }, log));
  }
  const prefix = o.jobs.some((j) => j.case === 'materialize' || j.case === 'duckdb-copy')
    ? await ensurePrefixCsv(data.main.dir, o.materializeRows, o.features, 1)
    : { path: '', bytes: 0 };
  const dataSeconds = (performance.now() - t0) / 1000;
  if (dataSeconds > 1) log(`data ready in ${dataSeconds.toFixed(1)} s`);
  const scratchDir = join(o.cacheDir, 'scratch');
  mkdirSync(scratchDir, { recursive: true });

  const paramsFor = (job: Job): CaseParams => {
    const series = seriesData.get(job.data);
    const bigDir = job.data === 'bigOne' ? big?.oneDir : job.data === 'bigMany' ? big?.manyDir : job.data === 'zeros' ? big?.zerosDir : undefined;
    const d = series ? { storeDir: series.storeDir, csvPath: '' } : bigDir ? { storeDir: bigDir, csvPath: '' } : data[job.data as 'main']!;
    const rows = series ? o.seriesRows : bigDir ? (job.data === 'zeros' ? Math.min(1_000_000, o.zerosRows) : o.bigRows) : job.data === 'main' ? o.rows : job.data === 'remote' ? o.remote.rows : job.data === 'rssSmall' ? o.rssRows[0] : o.rssRows[1];
    return {
      rows,
      window: o.window,
      features: o.features,
      batch: o.batch,
      workers: o.workers,
      sdkWorkers: o.sdkWorkers,
      seed: 1,
      rowGroupSize: job.data === 'remote' ? REMOTE_ROW_GROUP : 65_536,
      storeDir: d.storeDir,
      csvPath: d.csvPath,
      budgetSeconds: o.budget,
      warmupBatches: o.warmupBatches,
      fitBatches: o.fitBatches,
      materializeCsv: prefix.path,
      materializeRows: o.materializeRows,
      materializeCsvBytes: prefix.bytes,
      scratchDir,
      compression: o.compression,
      backend: o.backend,
      ...job.override,
    };
  };

  // The HTTP cases read their store from a server in a process of its own (bench/store-server.ts): the main
  // store as is, the remote store as is and with every answer --latency ms late. The browser case's page is
  // bundled once here (from the sources), like an application's bundler would.
  const servers: ReturnType<typeof spawn>[] = [];
  const startServer = async (dir: string, latencyMs: number): Promise<string> => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'store-server.ts'), dir, String(latencyMs)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    servers.push(child);
    process.once('exit', () => child.kill());
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('\n')) ok(out.split('\n')[0]!.trim());
      });
      child.once('exit', (code) => fail(new Error(`bench: the store server exited with ${code} before it served`)));
    });
    log(`serving ${dir} at ${url}${latencyMs ? `, every answer ${latencyMs} ms late` : ''}`);
    return url;
  };
  const urls: Partial<Record<NonNullable<CaseParams['server']>, string>> = {};
  const served = new Set(o.jobs.filter((j) => j.http).map((j) => j.override?.server ?? 'main'));
  if (served.has('main')) urls.main = await startServer(data.main.storeDir, 0);
  if (served.has('remote')) urls.remote = await startServer(data.remote!.storeDir, 0);
  if (served.has('remote-latency')) urls['remote-latency'] = await startServer(data.remote!.storeDir, o.remote.latencyMs);
  let browserBundleDir: string | undefined;
  if (o.jobs.some((j) => j.case === 'browser')) {
    browserBundleDir = join(o.cacheDir, 'browser-bench');
    await bundleBrowser({ outdir: browserBundleDir, entries: { 'bench-page': join(here, 'browser-page.ts'), 'decode-worker': join(root, 'src', 'browser', 'decode-worker.ts') }, external: [] });
  }
  const paramsOf = (job: Job): CaseParams => ({ ...paramsFor(job), ...(job.http ? { storeUrl: urls[job.override?.server ?? 'main'], browserBundleDir } : {}) });

  const compiled = o.tsx ? { runner: ['--import', 'tsx', join(here, 'case-runner.ts')], cleanup: () => {} } : compileCases(log);
  const results = new Map<string, CaseResult[]>(o.jobs.map((j) => [j.id, []]));
  const failures: string[] = [];
  const rounds = Math.max(...o.jobs.map((j) => j.repeats ?? o.repeats));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const job of o.jobs) {
        const runs = job.repeats ?? o.repeats;
        if (round >= runs || failures.some((f) => f.startsWith(`${job.id}:`))) continue;
        if (job.data === 'zeros' && !big?.zerosDir) continue; // no pyarrow here: said once above
        const started = performance.now();
        try {
          const r = await runCase(compiled.runner, job, paramsOf(job), o.timeout);
          results.get(job.id)!.push(r);
          const rate = r.windows > 0 ? `${Math.round(r.windows / r.seconds).toLocaleString('en-US')} windows/s` : r.rows > 0 ? `${Math.round(r.rows / r.seconds).toLocaleString('en-US')} rows/s` : '';
          log(`${job.id} ${round + 1}/${runs}: ${rate}, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB (${((performance.now() - started) / 1000).toFixed(1)} s)`);
        } catch (err) {
          failures.push(`${job.id}: ${(err as Error).message}`);
          log(`FAILED ${job.id}: ${(err as Error).message}`);
        }
      }
    }
  } finally {
    compiled.cleanup();
    for (const server of servers) server.kill();
  }

  const summaries: Record<string, CaseSummary | undefined> = {};
  for (const job of o.jobs) if (results.get(job.id)!.length) summaries[job.id] = summarize(job, results.get(job.id)!);
  const rs = ratios(summaries);
  const list = o.jobs.map((j) => summaries[j.id]).filter((s): s is CaseSummary => s !== undefined);
  const totalSeconds = (performance.now() - t0) / 1000;
  const doc = {
    version: 1,
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    machine: { ...machine(list[0]?.results[0]?.backend), zstd: await zstdDecoder(), loadavgBefore: load1Before, loadavgAfter: loadavg() },
    mode: o.tsx ? 'tsx (TypeScript sources)' : 'compiled JS (tsc, no tsx in the case processes)',
    params: { rows: o.rows, remoteRows: o.remote.rows, latencyMs: o.remote.latencyMs, window: o.window, features: o.features, batch: o.batch, repeats: o.repeats, workers: o.workers, sdkWorkers: o.sdkWorkers ?? 'default', budgetSeconds: o.budget, warmupBatches: o.warmupBatches, fitBatches: o.fitBatches, materializeRows: o.materializeRows, rssRows: o.rssRows, series: o.series, seriesRows: o.seriesRows, seriesRss: o.seriesRss, compression: o.compression },
    // materializeRowsPerSec: materializeDataset from typed-array batches when the store was generated (maybe an earlier run).
    data: {
      ...Object.fromEntries((Object.entries(data) as [string, BenchData][]).map(([k, d]) => [k, { dir: d.dir, storeBytes: d.storeBytes, csvBytes: d.csvBytes, reused: d.reused, generatedSeconds: d.generatedSeconds, materializeRowsPerSec: d.materializeRowsPerSec }])),
      ...Object.fromEntries([...seriesData].map(([k, d]) => [k, { dir: d.storeDir, storeBytes: d.storeBytes, reused: d.generatedSeconds === 0, generatedSeconds: d.generatedSeconds }])),
    },
    cases: Object.fromEntries(list.map((s) => [s.id, s])),
    ratios: rs,
    failures,
    totalSeconds,
  };
  const report = formatReport(list, rs);
  const head = `${doc.command}: ${o.rows.toLocaleString('en-US')} rows, batches [${o.batch}, ${o.window}, ${o.features}] float32, ${o.repeats} run(s) per case (medians), backend ${doc.machine.backend}, zstd ${doc.machine.zstd.name} (${doc.machine.zstd.kind}), ${doc.machine.cores} cores, load ${load1Before[0]!.toFixed(2)} → ${doc.machine.loadavgAfter[0]!.toFixed(2)}, ${totalSeconds.toFixed(0)} s`;
  const text = `\n${head}\n\n${report}\n${failures.length ? `\nFAILED:\n${failures.join('\n')}\n` : ''}`;
  if (o.json) {
    print.log(text);
    print.out(`${JSON.stringify(doc, null, 2)}\n`);
  } else print.out(text);
  if (o.out) writeFileSync(o.out, `${JSON.stringify(doc, null, 2)}\n`);
  if (o.markdown) {
    const analysis = existsSync(o.markdown) ? keptAnalysis(readFileSync(o.markdown, 'utf8')) : '';
    writeFileSync(o.markdown, renderMarkdown(doc, `${head}\n\n${report}`, JSON.stringify(doc, null, 2), analysis));
  }
  return failures.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = await runBench(process.argv.slice(2), { out: (s) => process.stdout.write(s), log: (s) => process.stderr.write(s) });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  }
}
