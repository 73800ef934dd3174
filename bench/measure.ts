// What every case shares: its parameters, what it measures, and how a window dataset is consumed.
import type * as tf from '@tensorflow/tfjs';

export const CASE_NAMES = [
  'sdk', 'browser', 'duckdb', 'duckdb-sdk', 'csv-parsed', 'csv', 'generator', 'decode', 'memcpy', 'assembly', 'fit', 'materialize', 'duckdb-copy', 'idle', 'remote', 'big-row-group'] as const;
export type CaseName = (typeof CASE_NAMES)[number];
/** The case runner's one stdout line starts with this, followed by the CaseResult as JSON. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** Everything a case needs, passed as JSON on the case runner's command line. */
export interface CaseParams {
  /** Rows of the store or series the case reads. */
  rows: number;
  window: number;
  features: number;
  batch: number;
  /** DuckDB threads, and the decode workers of the decode-only cases. */
  workers: number;
  /**
   * Decode workers of the SDK's window cases (sdk, RSS, fit); undefined: the SDK's default (cores − 1, at
   * most 4), what a user who passes nothing gets.
   */
  sdkWorkers?: number;
  seed: number;
  /** Rows per row group of the store (also the chunk size of in-memory sources, to mimic it). */
  rowGroupSize: number;
  storeDir: string;
  csvPath: string;
  /** Capped cases stop after this many seconds of timed iteration and report the rate of what they did. */
  budgetSeconds: number;
  /** Batches consumed (and discarded) before timing, to warm the JIT and the caches. */
  warmupBatches: number;
  /** Batches trained in the `fit` case (after 5 warm-up batches). */
  fitBatches: number;
  /** Prefix CSV of the materialize cases. */
  materializeCsv: string;
  materializeRows: number;
  materializeCsvBytes: number;
  /** Scratch directory the materialize cases write into. */
  scratchDir: string;
  /** Store compression of the generated store; the materialize cases write with it too. */
  compression: 'zstd' | 'snappy' | 'none';
  /** TensorFlow.js backend; undefined = initBackend's choice. */
  backend?: 'wasm' | 'cpu' | 'tensorflow';
  /** Series id columns of a store of many series (the series cases); absent: one series. */
  seriesColumns?: string[];
  /** The store's URL on the bench's HTTP server (`serveStore` in a process of its own): the HTTP cases read it instead of storeDir. */
  storeUrl?: string;
  /** The browser case's page, bundled by bench/run.ts. */
  browserBundleDir?: string;
  /** Epochs the remote cases read (default 1). */
  epochs?: number;
  /** The remote cases' `cache: { bytes }` (absent: no cache). */
  cacheBytes?: number;
  /** Which of the bench's HTTP servers a case reads: the main store's, or the remote store's, plain or delayed. */
  server?: 'main' | 'remote' | 'remote-latency';
  /**
   * How the SDK's window cases consume the dataset: `iterator().next()` as fitDataset does (default), with the
   * same loop keeping every batch until the epoch ends (`next-hold`, what `toArray` must do), `forEachAsync`, `toArray`.
   */
  consume?: 'next' | 'next-hold' | 'forEachAsync' | 'toArray';
  /** The fit case compares decode worker settings in one process, in turns (see bench/cases/fit.ts). */
  fitWorkers?: boolean;
  /** The memcpy case also makes each batch's xs and ys tensors (the floor of window assembly with tensors). */
  memcpyTensors?: boolean;
  /** The SDK's window cases read only this fraction of the series (`split: { train }`): an epoch `toArray` can hold. */
  trainFraction?: number;
  /** The large-row-group cases: what they read and how (see bench/cases/big-row-group.ts). */
  bigMode?: 'sdk-read' | 'duckdb-read' | 'windows' | 'zeros-sdk' | 'zeros-duckdb';
}

/** What a case reports; the runner adds peak RSS. */
export interface CaseMeasure {
  /** Windows delivered in `seconds` (0 for cases that make none). */
  windows: number;
  /** Source rows consumed in `seconds`. */
  rows: number;
  /** Bytes delivered in `seconds` (windows: xs float32 bytes; decode: column bytes; materialize: CSV bytes). */
  bytes: number;
  /** Timed seconds: from a fresh iterator (or query) to its last batch, or to the budget. */
  seconds: number;
  /** True when the budget stopped the case before the end of the data. */
  capped: boolean;
  /** Case-specific figures (e.g. DuckDB read vs assembly seconds, fit wait share). */
  extra?: Record<string, number | string>;
}

export interface CaseResult extends CaseMeasure {
  case: string;
  peakRssBytes: number;
  backend: string;
}

export const now = (): number => performance.now() / 1000;

/** Peak resident set size of this process so far (each case runs in its own process). */
export const peakRssBytes = (): number => process.resourceUsage().maxRSS * 1024;

export const xsBytes = (windows: number, p: CaseParams): number => windows * p.window * p.features * 4;

/** Windows of the series for window size W and horizon 1 (stride 1): one per start with a next row. */
export const totalWindows = (p: CaseParams): number => Math.max(0, p.rows - p.window);

type Batches = tf.data.Dataset<tf.TensorContainer>;
type Consumed = { windows: number; seconds: number; capped: boolean; firstBatchSeconds: number };
type Limit = { maxWindows?: number; maxSeconds?: number };

/**
 * Pulls batches from a fresh iterator until the data ends, `maxWindows` windows or `maxSeconds` pass,
 * disposing every tensor (`hold`: at the end, as `toArray` must). Returns windows seen, the seconds from
 * before `iterator()` to the last batch, and to the first one (epoch start latency).
 */
export async function consume(ds: Batches, tfm: typeof tf, limit: Limit = {}, hold = false): Promise<Consumed> {
  const maxWindows = limit.maxWindows ?? Infinity;
  const maxSeconds = limit.maxSeconds ?? Infinity;
  const start = now();
  const it = await ds.iterator();
  let windows = 0;
  let capped = false;
  let firstBatchSeconds = NaN;
  const held: tf.TensorContainer[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    if (windows === 0) firstBatchSeconds = now() - start;
    const v = r.value as { xs: tf.Tensor };
    windows += v.xs.shape[0]!;
    if (hold) held.push(r.value);
    else tfm.dispose(r.value);
    if (windows >= maxWindows) {
      capped = true;
      break;
    }
    if (now() - start >= maxSeconds) {
      capped = true;
      break;
    }
  }
  tfm.dispose(held);
  return { windows, seconds: now() - start, capped, firstBatchSeconds };
}

/** One epoch consumed the way `how` says (see `CaseParams.consume`); the same figures as `consume`. */
export async function consumeBy(how: CaseParams['consume'], ds: Batches, tfm: typeof tf): Promise<Consumed> {
  if (how === undefined || how === 'next' || how === 'next-hold') return consume(ds, tfm, {}, how === 'next-hold');
  const start = now();
  let windows = 0;
  let firstBatchSeconds = NaN;
  const count = (e: tf.TensorContainer): void => {
    if (windows === 0) firstBatchSeconds = now() - start;
    windows += (e as { xs: tf.Tensor }).xs.shape[0]!;
  };
  if (how === 'forEachAsync') await ds.forEachAsync(count);
  else {
    const all = await ds.toArray();
    all.forEach(count);
    tfm.dispose(all);
  }
  return { windows, seconds: now() - start, capped: false, firstBatchSeconds };
}
