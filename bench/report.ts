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
  value: number | null;
  /** The issue's target, when it sets one; `atMost` flips the comparison. */
  target?: number;
  atMost?: boolean;
  met?: boolean | null;
}

/** Peak RSS of the interleaved many-series stores against the fewest series: how memory grows with series in flight. */
function seriesRssRatios(s: Record<string, CaseSummary | undefined>): Ratio[] {
  const rss = Object.values(s)
    .filter((c): c is CaseSummary => c !== undefined && /^series-rss-\d+$/.test(c.id))
    .map((c) => ({ n: Number(c.id.slice('series-rss-'.length)), bytes: c.peakRssBytes }))
    .sort((a, b) => a.n - b.n);
  return rss.slice(1).map((r) => ({ name: `series-rss-${r.n}/${rss[0]!.n}`, what: `peak RSS, ${r.n} ÷ ${rss[0]!.n} interleaved series (same rows)`, value: r.bytes / rss[0]!.bytes }));
}

export function ratios(s: Record<string, CaseSummary | undefined>): Ratio[] {
  const div = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || !(b > 0) ? null : a / b);
  const wps = (id: string) => s[id]?.windowsPerSec ?? null;
  const list: Ratio[] = [
    { name: 'sdk/csv', what: 'case 1 ÷ case 2 windows/s', value: div(wps('sdk'), wps('csv')), target: 20 },
    { name: 'sdk/generator', what: 'case 1 ÷ case 3 windows/s', value: div(wps('sdk'), wps('generator')), target: 5 },
    { name: 'sdk/duckdb', what: 'case 1 ÷ case 4 windows/s', value: div(wps('sdk'), wps('duckdb')), target: 1 },
    { name: 'sdk/decode', what: 'case 1 rows/s ÷ decode-only rows/s', value: div(s.sdk?.rowsPerSec, s.decode?.rowsPerSec) },
    { name: 'sdk/memcpy', what: 'case 1 ÷ memcpy limit windows/s', value: div(wps('sdk'), wps('memcpy')) },
    { name: 'decode/duckdb-read', what: 'decode-only rows/s ÷ DuckDB read rows/s', value: div(s.decode?.rowsPerSec, s.duckdb?.extra.readRowsPerSec), target: 1 },
    { name: 'assembly/memcpy', what: 'windowing over in-memory columns ÷ memcpy limit', value: div(wps('assembly'), wps('memcpy')), target: 0.5 },
    { name: 'sdk-w2/sdk-w1', what: 'case 1 with --workers ÷ with 1 worker', value: div(wps('sdk'), wps('sdk-w1')) },
    { name: 'decode-w2/decode-w1', what: 'decode with --workers ÷ with 1 worker', value: div(s.decode?.rowsPerSec, s['decode-w1']?.rowsPerSec) },
    { name: 'rss-large/rss-small', what: 'peak RSS of case 1, large ÷ small store', value: div(s['sdk-rss-large']?.peakRssBytes, s['sdk-rss-small']?.peakRssBytes), target: 1.2, atMost: true },
    { name: 'fit-wait-share', what: 'share of fitDataset time waiting on data', value: s.fit?.extra.waitShare ?? null, target: 0.02, atMost: true },
    { name: 'materialize/duckdb-copy', what: 'importCsv rows/s ÷ DuckDB COPY rows/s', value: div(s.materialize?.rowsPerSec, s['duckdb-copy']?.rowsPerSec) },
    { name: 'series-sorted/one', what: 'windows/s with seriesColumns, sorted ÷ the same rows as one series', value: div(wps('series-sorted'), wps('series-one')), target: 0.8 },
    { name: 'series-interleaved/one', what: 'windows/s with seriesColumns, interleaved ÷ the same rows as one series', value: div(wps('series-interleaved'), wps('series-one')), target: 0.8 },
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
  if (c.case === 'duckdb') parts.push(`read ${c.extra.readSeconds!.toFixed(2)} s (${si(c.extra.readRowsPerSec!)} rows/s) + windows ${c.extra.assemblySeconds!.toFixed(2)} s`);
  if (c.case === 'fit') {
    parts.push(`wait ${(c.extra.waitShare! * 100).toFixed(2)} % of ${c.seconds.toFixed(1)} s (first batch ${c.extra.firstBatchWaitSeconds!.toFixed(2)} s), ${c.extra.msPerBatch!.toFixed(0)} ms/batch`);
  }
  if (c.case === 'sdk') parts.push(`first batch after ${(c.extra.firstBatchSeconds! * 1000).toFixed(0)} ms`);
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
  const ratioRows = rs.map((r) => [
    r.name,
    r.value === null ? '-' : r.name.includes('share') ? `${(r.value * 100).toFixed(2)} %` : `${r.value.toFixed(2)}×`,
    r.target === undefined ? '' : `${r.atMost ? '≤' : '≥'} ${r.name.includes('share') ? `${r.target * 100} %` : `${r.target}×`}`,
    r.met === undefined ? '' : r.met === null ? 'n/a' : r.met ? 'met' : 'MISSED',
    r.what,
  ]);
  return `${table}\n\n${formatTable(['ratio', 'value', 'target', '', 'what'], ratioRows, [false, true, false, false, false])}`;
}
