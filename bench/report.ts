// Medians, ratios, targets and the printed table of a bench run.
import { formatTable } from '../src/cli/format.js';
import type { Job } from './jobs.js';
import type { CaseResult } from './measure.js';

export interface CaseSummary {
  id: string;
  label: string;
  case: string;
  runs: number;
  capped: boolean;
  /** Medians over the runs. */
  windowsPerSec: number | null;
  rowsPerSec: number | null;
  mbPerSec: number | null;
  peakRssBytes: number;
  seconds: number;
  windows: number;
  rows: number;
  /** Half the range of the runs' main rate (windows/s, else rows/s) over its median: the run-to-run noise. */
  spread: number | null;
  /** Medians of the case's numeric extras. */
  extra: Record<string, number>;
  results: CaseResult[];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function summarize(job: Job, results: CaseResult[]): CaseSummary {
  const extraKeys = new Set(results.flatMap((r) => Object.keys(r.extra ?? {}).filter((k) => typeof r.extra![k] === 'number')));
  const extra: Record<string, number> = {};
  for (const k of extraKeys) extra[k] = median(results.map((r) => r.extra![k] as number));
  const makesWindows = results.some((r) => r.windows > 0);
  const rates = results.map((r) => (makesWindows ? r.windows : r.rows) / r.seconds).filter(Number.isFinite);
  const spread = rates.length > 1 ? (Math.max(...rates) - Math.min(...rates)) / 2 / median(rates) : null;
  return {
    id: job.id,
    label: job.label,
    case: job.case,
    runs: results.length,
    capped: results.some((r) => r.capped),
    windowsPerSec: makesWindows ? median(results.map((r) => r.windows / r.seconds)) : null,
    rowsPerSec: results.some((r) => r.rows > 0) ? median(results.map((r) => r.rows / r.seconds)) : null,
    mbPerSec: results.some((r) => r.bytes > 0) ? median(results.map((r) => r.bytes / r.seconds / 1e6)) : null,
    peakRssBytes: median(results.map((r) => r.peakRssBytes)),
    seconds: median(results.map((r) => r.seconds)),
    windows: median(results.map((r) => r.windows)),
    rows: median(results.map((r) => r.rows)),
    spread,
    extra,
    results,
  };
}

export interface Ratio {
  name: string;
  what: string;
  /** The ratio of the cases' medians (a share or seconds for the figures named so). */
  value: number | null;
  /**
   * Half the range of the ratio computed run by run (run i of one case with run i of the other, taken in the
   * same round) over its median; null with fewer than 2 rounds.
   */
  spread: number | null;
  /** How `value` prints: a ratio (×, the default), a share (%) or seconds. */
  unit?: 'x' | '%' | 's' | 'B';
  /** The issue's target, when it sets one; `atMost` flips the comparison. */
  target?: number;
  atMost?: boolean;
  met?: boolean | null;
}

type Metric = (r: CaseResult) => number | null | undefined;
const windowsPerSec: Metric = (r) => (r.windows > 0 ? r.windows / r.seconds : null);
const rowsPerSec: Metric = (r) => (r.rows > 0 ? r.rows / r.seconds : null);
const extra =
  (key: string): Metric =>
  (r) => {
    const v = r.extra?.[key];
    return typeof v === 'number' ? v : null;
  };
const peakRss: Metric = (r) => r.peakRssBytes;
const seconds: Metric = (r) => r.seconds;

/** Half the range over the median, or null for fewer than 2 finite values. */
function spreadOf(values: (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length > 1 ? (Math.max(...xs) - Math.min(...xs)) / 2 / Math.abs(median(xs)) : null;
}

const medianOf = (c: CaseSummary | undefined, m: Metric): number | null => {
  const xs = (c?.results ?? []).map(m).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  return xs.length ? median(xs) : null;
};

/** Peak RSS of the interleaved many-series stores above the idle floor, against the fewest series: how memory grows with the series in flight. */
function seriesRssRatios(s: Record<string, CaseSummary | undefined>): Ratio[] {
  const floor = medianOf(s.idle, peakRss);
  const rss = Object.values(s)
    .filter((c): c is CaseSummary => c !== undefined && /^series-rss-\d+$/.test(c.id))
    .map((c) => ({ n: Number(c.id.slice('series-rss-'.length)), bytes: medianOf(c, peakRss) }))
    .sort((a, b) => a.n - b.n);
  if (floor === null || rss.length < 2) return [];
  const base = rss[0]!;
  return rss.slice(1).map((r) => ({
    name: `series-rss-${r.n}/${base.n}`,
    what: `peak RSS above the idle floor, ${r.n} ÷ ${base.n} interleaved series (same rows)`,
    value: r.bytes === null || base.bytes === null ? null : (r.bytes - floor) / (base.bytes - floor),
    spread: null,
  }));
}

export function ratios(s: Record<string, CaseSummary | undefined>): Ratio[] {
  const div = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || !(b > 0) ? null : a / b);
  /** a's metric ÷ b's metric: of the medians, and run by run for the spread. */
  const ratio = (a: string, ma: Metric, b: string, mb: Metric = ma): Pick<Ratio, 'value' | 'spread'> => {
    const ra = s[a]?.results ?? [];
    const rb = s[b]?.results ?? [];
    const rounds = Array.from({ length: Math.min(ra.length, rb.length) }, (_, i) => div(ma(ra[i]!), mb(rb[i]!)));
    return { value: div(medianOf(s[a], ma), medianOf(s[b], mb)), spread: spreadOf(rounds) };
  };
  /** One case's own figure (a share, seconds), with the spread of its runs. */
  const figure = (a: string, m: Metric): Pick<Ratio, 'value' | 'spread'> => ({ value: medianOf(s[a], m), spread: spreadOf((s[a]?.results ?? []).map((r) => m(r) ?? null)) });
  /** Peak RSS above the idle process's, large store ÷ small store. */
  const rss = (): Pick<Ratio, 'value' | 'spread'> => {
    const [small, large, idle] = [s['sdk-rss-small'], s['sdk-rss-large'], s.idle];
    const [ms, ml, floor] = [medianOf(small, peakRss), medianOf(large, peakRss), medianOf(idle, peakRss)];
    const n = Math.min(small?.results.length ?? 0, large?.results.length ?? 0, idle?.results.length ?? 0);
    const rounds = Array.from({ length: n }, (_, i) => div(large!.results[i]!.peakRssBytes - idle!.results[i]!.peakRssBytes, small!.results[i]!.peakRssBytes - idle!.results[i]!.peakRssBytes));
    return { value: ms === null || ml === null || floor === null ? null : div(ml - floor, ms - floor), spread: spreadOf(rounds) };
  };
  /** The best of `others`' metric ÷ `base`'s: how far the default is from the best setting measured (≥ 1). */
  const bestOver = (base: string, others: string[], m: Metric): Pick<Ratio, 'value' | 'spread'> => {
    const ran = others.filter((o) => s[o]?.results.length);
    if (!ran.length || !s[base]) return { value: null, spread: null };
    const best = Math.max(...ran.map((o) => medianOf(s[o], m) ?? -Infinity));
    const rounds = Array.from({ length: Math.min(s[base]!.results.length, ...ran.map((o) => s[o]!.results.length)) }, (_, i) => div(Math.max(...ran.map((o) => m(s[o]!.results[i]!) ?? -Infinity)), m(s[base]!.results[i]!)));
    const b = medianOf(s[base], m);
    return { value: b === null ? null : Math.max(1, div(best, b) ?? 0), spread: spreadOf(rounds) };
  };
  const list: Ratio[] = [
    { name: 'sdk/duckdb', what: 'case 1 ÷ case 2 windows/s (each timed from its open to its last batch)', ...ratio('sdk', windowsPerSec, 'duckdb'), target: 2.5 },
    { name: 'sdk/duckdb-sdk', what: 'case 1 ÷ case 3 windows/s', ...ratio('sdk', windowsPerSec, 'duckdb-sdk') },
    { name: 'duckdb-sdk/duckdb', what: 'SDK windowing ÷ best hand assembly, both over DuckDB\'s columns (case 3 ÷ case 2)', ...ratio('duckdb-sdk', windowsPerSec, 'duckdb') },
    { name: 'sdk/csv-parsed', what: 'case 1 ÷ case 4 windows/s', ...ratio('sdk', windowsPerSec, 'csv-parsed') },
    { name: 'sdk/csv-idiom', what: 'case 1 ÷ the tf.data.csv idiom (1 tensor per window) windows/s', ...ratio('sdk', windowsPerSec, 'csv'), target: 20 },
    { name: 'sdk/generator-idiom', what: 'case 1 ÷ the generator idiom (1 tensor per window) windows/s', ...ratio('sdk', windowsPerSec, 'generator'), target: 5 },
    { name: 'sdk/decode', what: 'case 1 rows/s ÷ decode-only rows/s', ...ratio('sdk', rowsPerSec, 'decode') },
    { name: 'sdk/memcpy', what: 'case 1 ÷ memcpy limit windows/s', ...ratio('sdk', windowsPerSec, 'memcpy'), target: 0.35 },
    { name: 'decode/duckdb-read', what: "decode-only rows/s ÷ DuckDB's read into typed columns (case 2's read phase) rows/s", ...ratio('decode', rowsPerSec, 'duckdb', extra('readRowsPerSec')), target: 1 },
    { name: 'assembly/memcpy', what: 'SDK windowing over in-memory columns ÷ memcpy limit windows/s', ...ratio('assembly', windowsPerSec, 'memcpy'), target: 0.6 },
    { name: 'foreach/next', what: 'epoch time of case 1 consumed by forEachAsync ÷ by iterator().next() (case 1)', ...ratio('sdk', windowsPerSec, 'sdk-foreach'), target: 1.1, atMost: true },
    { name: 'toarray/next-hold', what: 'epoch time of toArray() ÷ of a next() loop keeping every batch, the same 5 % of the rows', ...ratio('sdk-part-hold', windowsPerSec, 'sdk-part-toarray'), target: 1.1, atMost: true },
    { name: 'floor/memcpy', what: 'memcpy + making the batch tensors ÷ memcpy alone windows/s: the part of the limit that is tensor making', ...ratio('memcpy-tensors', windowsPerSec, 'memcpy') },
    { name: 'assembly/floor', what: "SDK windowing over in-memory columns ÷ memcpy + tensor making windows/s: the SDK's own share of the gap", ...ratio('assembly', windowsPerSec, 'memcpy-tensors') },
    { name: 'sdk/floor', what: 'case 1 ÷ memcpy + tensor making windows/s', ...ratio('sdk', windowsPerSec, 'memcpy-tensors') },
    { name: 'workers-best/default', what: 'pure epoch: windows/s of the best of 0 and 2 decode workers ÷ of the default (case 1); 1.00 when the default is the best', ...bestOver('sdk', ['sdk-w0', 'sdk-w2'], windowsPerSec), target: 1.05, atMost: true },
    { name: 'fit-workers-best/default', what: 'fitDataset LSTM(32), one model trained in turns: speed with the best of 0 and 2 decode workers ÷ with the default; 1.00 when the default is the best', value: medianOf(s['fit-workers'], extra('bestOverDefault')), spread: medianOf(s['fit-workers'], extra('bestOverDefaultSpread')), target: 1.05, atMost: true },
    { name: 'sdk-w2/sdk', what: 'the SDK with 2 decode workers ÷ case 1 (its default)', ...ratio('sdk-w2', windowsPerSec, 'sdk') },
    { name: 'decode-w2/decode-w1', what: 'decode with --workers ÷ with 1 worker', ...ratio('decode', rowsPerSec, 'decode-w1') },
    { name: 'browser/node-http', what: 'windows/s of the browser build in headless Chromium ÷ of Node, both over the same HTTP store', ...ratio('browser', windowsPerSec, 'sdk-http'), target: 0.6 },
    { name: 'browser-fetch/node-fetch', what: "MB/s the page's fetch alone takes in ÷ Node's fetch, the store's files in 1 MiB ranges from the same server", ...ratio('browser', extra('pageFetchMBps'), 'browser', extra('nodeFetchMBps')) },
    { name: 'node-http/local', what: 'windows/s in Node over HTTP ÷ from the local folder (case 1)', ...ratio('sdk-http', windowsPerSec, 'sdk') },
    { name: 'rss-large/rss-small', what: 'peak RSS of case 1 above the idle floor, large ÷ small store', ...rss(), target: 1.1, atMost: true },
    { name: 'first-batch', what: 'case 1: seconds from opening the store to its first batch', ...figure('sdk', extra('firstBatchSeconds')), unit: 's', target: 0.1, atMost: true },
    { name: 'fit-wait-share', what: 'share of fitDataset time waiting on data', ...figure('fit', extra('waitShare')), unit: '%', target: 0.01, atMost: true },
    { name: 'materialize/duckdb-copy', what: 'importCsv rows/s ÷ DuckDB COPY rows/s, same CSV', ...ratio('materialize', rowsPerSec, 'duckdb-copy'), target: 0.5 },
    { name: 'series-sorted/one', what: 'windows/s with seriesColumns, sorted ÷ the same rows read as one series', ...ratio('series-sorted', windowsPerSec, 'series-one'), target: 0.8 },
    { name: 'series-interleaved/one', what: 'windows/s with seriesColumns, interleaved ÷ the same rows read as one series', ...ratio('series-interleaved', windowsPerSec, 'series-one'), target: 0.8 },
    { name: 'remote-latency/remote', what: 'epoch time (open included) over a server that answers every request late ÷ over the same server without the delay', ...ratio('remote', windowsPerSec, 'remote-latency'), target: 1.15, atMost: true },
    { name: 'cache-epoch2+3-bytes', what: 'bytes fetched in epochs 2 and 3 of the delayed remote store with cache: { bytes }', ...figure('remote-cache', (r) => (r.extra?.epoch2Bytes as number) + (r.extra?.epoch3Bytes as number)), unit: 'B', target: 0, atMost: true },
    { name: 'big-first-batch/duckdb', what: 'seconds to the first batch of columns a, b of a 20M-row row group: this SDK ÷ DuckDB\'s first chunk', ...ratio('big-sdk', extra('firstBatchSeconds'), 'big-duckdb'), target: 2, atMost: true },
    { name: 'big-all-rows/duckdb', what: 'seconds to the last row of the same: this SDK ÷ DuckDB', ...ratio('big-sdk', seconds, 'big-duckdb'), target: 1.5, atMost: true },
    { name: 'big-rss/duckdb', what: 'peak RSS of the same reads, each in its own process: this SDK ÷ DuckDB', ...ratio('big-sdk', peakRss, 'big-duckdb'), target: 1.5, atMost: true },
    { name: 'big-windows/many', what: 'windows/s over the one 20M-row row group ÷ over the same rows in row groups of 65,536', ...ratio('big-windows', windowsPerSec, 'many-windows'), target: 0.9 },
    { name: 'zeros-first-million/duckdb', what: 'seconds to the first million of 300M int32 zeros (pyarrow, dictionary, zstd): this SDK ÷ DuckDB', ...ratio('zeros-sdk', seconds, 'zeros-duckdb'), target: 10, atMost: true },
    { name: 'zeros-rss/duckdb', what: 'peak RSS of the same: this SDK ÷ DuckDB', ...ratio('zeros-sdk', peakRss, 'zeros-duckdb'), target: 2, atMost: true },
    ...seriesRssRatios(s),
  ];
  for (const r of list) if (r.target !== undefined) r.met = r.value === null ? null : r.atMost ? r.value <= r.target : r.value >= r.target;
  return list;
}

const si = (n: number | null): string => {
  if (n === null || !Number.isFinite(n)) return '-';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(n >= 10 ? 0 : 2);
};

function note(c: CaseSummary): string {
  const parts: string[] = [];
  if (c.capped && c.case !== 'fit') parts.push(`capped: ${si(c.windows)} windows in ${c.seconds.toFixed(1)} s`);
  if (c.extra.readSeconds !== undefined) parts.push(`read ${c.extra.readSeconds.toFixed(2)} s (${si(c.extra.readRowsPerSec!)} rows/s) + windows ${c.extra.assemblySeconds!.toFixed(2)} s`);
  if (c.extra.secondsDefault !== undefined) {
    parts.push(`${c.extra.batches} batches each: default ${c.extra.secondsDefault.toFixed(1)} s, 0 workers ${c.extra.secondsW0!.toFixed(1)} s, 2 workers ${c.extra.secondsW2!.toFixed(1)} s`);
  } else if (c.case === 'fit') {
    parts.push(`wait ${(c.extra.waitShare! * 100).toFixed(2)} % of ${c.seconds.toFixed(1)} s (first batch ${c.extra.firstBatchWaitSeconds!.toFixed(2)} s), ${c.extra.msPerBatch!.toFixed(0)} ms/batch`);
  }
  if (c.extra.firstBatchSeconds !== undefined) parts.push(`first batch after ${(c.extra.firstBatchSeconds * 1000).toFixed(0)} ms`);
  if (c.case === 'remote') {
    for (let e = 1; c.extra[`epoch${e}Seconds`] !== undefined; e++) {
      parts.push(`epoch ${e}: ${c.extra[`epoch${e}Seconds`]!.toFixed(2)} s, ${si(c.extra[`epoch${e}Bytes`]!)}B in ${c.extra[`epoch${e}Requests`]} requests`);
    }
    parts.push(`open ${c.extra.openSeconds!.toFixed(2)} s`);
  }
  if (c.extra.pageFetchMBps !== undefined) parts.push(`fetch alone: page ${c.extra.pageFetchMBps.toFixed(0)} MB/s, Node ${c.extra.nodeFetchMBps!.toFixed(0)} MB/s`);
  if (c.case === 'sdk' && (c.id.startsWith('sdk-rss') || c.id.startsWith('series-'))) parts.push(`${si(c.rows)} rows`);
  return parts.join('; ');
}

export function formatReport(cases: CaseSummary[], rs: Ratio[]): string {
  const rows = cases.map((c) => [
    c.id,
    c.label,
    si(c.windowsPerSec),
    si(c.rowsPerSec),
    c.mbPerSec === null ? '-' : c.mbPerSec.toFixed(0),
    `${(c.peakRssBytes / 2 ** 20).toFixed(0)}`,
    `${c.runs}${c.spread === null ? '' : ` ±${(c.spread * 100).toFixed(0)}%`}`,
    note(c),
  ]);
  const table = formatTable(['case', 'what', 'windows/s', 'rows/s', 'MB/s', 'RSS MiB', 'runs', 'note'], rows, [false, false, true, true, true, true, true, false]);
  const show = (v: number, unit: Ratio['unit']) => (unit === '%' ? `${(v * 100).toFixed(2)} %` : unit === 's' ? `${v.toFixed(2)} s` : unit === 'B' ? `${si(v)} B` : `${v.toFixed(2)}×`);
  const ratioRows = rs.map((r) => [
    r.name,
    r.value === null ? '-' : show(r.value, r.unit),
    r.spread === null ? '' : `±${(r.spread * 100).toFixed(0)}%`,
    r.target === undefined ? '' : `${r.atMost ? '≤' : '≥'} ${show(r.target, r.unit)}`,
    r.met === undefined ? '' : r.met === null ? 'n/a' : r.met ? 'met' : 'MISSED',
    r.what,
  ]);
  return `${table}\n\n${formatTable(['ratio', 'value', 'spread', 'target', '', 'what'], ratioRows, [false, true, true, false, false, false])}`;
}
