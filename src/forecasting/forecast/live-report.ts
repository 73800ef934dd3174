import type { LiveTick } from './live-forecast.js';

const indent = (text: string) => text.replace(/^/gm, '  ');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(2) : x.toPrecision(6));

/**
 * One tick of `forecastLive` as text (what `tfpl predict --follow` and `npm run live` print): the forecasts issued,
 * then the forecasts scored with the rolling MAE of the model and both baselines.
 *
 * @example
 * await forecastLive('./model', './market', { forecasts: './forecasts', onTick: (t) => console.log(formatLiveTick(t)) });
 */
export function formatLiveTick(t: LiveTick): string {
  const out = [`tick ${t.tick}  model v${t.modelVersion}  ${t.forecasts.length} forecast(s), ${t.scores.length} score(s)  read→committed ${t.committedAt - t.readAt} ms`];
  const rows: string[][] = [];
  for (const f of t.forecasts) rows.push(['forecast', f.series.join('/'), iso(f.issuedAt), `+${f.horizon}`, iso(f.targetTime), num(f.forecast), num(f.persistence), num(f.movingAverage)]);
  if (rows.length) out.push(indent(liveTable(['', 'series', 'issued at', 'h', 'target', 'model', 'persistence', 'moving avg'], rows, [false, false, false, false, false, true, true, true])));
  const scored: string[][] = [];
  for (const s of t.scores) {
    const r = s.rolling;
    scored.push(['score', s.series.join('/'), iso(s.actualTime), num(s.actual), num(s.errors.model), `${num(r.model.mae)} / ${num(r.persistence.mae)} / ${num(r.movingAverage.mae)}`]);
  }
  if (scored.length) out.push(indent(liveTable(['', 'series', 'target', 'actual', 'model error', 'rolling MAE model / persistence / moving avg'], scored, [false, false, false, true, true, false])));
  if (t.notForecast.length) out.push(`  not forecast (too few rows since a gap): ${t.notForecast.map((ids) => ids.join('/')).join(', ')}`);
  return out.join('\n');
}

/** Columns padded to their widest cell, numbers right-aligned, under a header and a rule. */
function liveTable(header: string[], rows: string[][], numeric: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
