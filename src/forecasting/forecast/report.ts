import type { ForecasterName, SeriesForecastEvaluation } from './evaluate.js';

const LABEL: Record<ForecasterName, string> = { lstm: 'LSTM', persistence: 'persistence (next = last)', movingAverage: 'moving average' };

/** Display name of a forecaster; the moving average names its window. */
export function forecasterLabel(name: ForecasterName, movingAverageWindow?: number): string {
  return name === 'movingAverage' && movingAverageWindow !== undefined ? `moving average (${movingAverageWindow} points)` : LABEL[name];
}

const money = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * The three-way comparison as text: a table of MAE and RMSE in price units, then a plain sentence on who
 * wins and by how much against persistence.
 *
 * @example
 * console.log(formatComparison(evaluation, 'USD'));
 */
export function formatComparison(ev: SeriesForecastEvaluation, unit = 'USD'): string {
  const names: ForecasterName[] = ['lstm', 'persistence', 'movingAverage'];
  const labels = names.map((n) => forecasterLabel(n, ev.movingAverageWindow));
  const w = Math.max(...labels.map((l) => l.length), 10);
  const lines = [`${'forecaster'.padEnd(w)}  ${`MAE (${unit})`.padStart(14)}  ${`RMSE (${unit})`.padStart(14)}`];
  names.forEach((n, i) => lines.push(`${labels[i]!.padEnd(w)}  ${money(ev.metrics[n].mae).padStart(14)}  ${money(ev.metrics[n].rmse).padStart(14)}`));
  lines.push('', verdict(ev));
  return lines.join('\n');
}

/** One honest sentence on the outcome. */
export function verdict(ev: SeriesForecastEvaluation): string {
  const p = ev.metrics.persistence;
  const l = ev.metrics.lstm;
  const pct = (a: number, b: number) => `${(Math.abs(a / b - 1) * 100).toFixed(2)} %`;
  const { mae, rmse } = ev.best;
  const winner = mae === rmse ? `Winner: ${forecasterLabel(mae, ev.movingAverageWindow)} (lowest MAE and RMSE).` : `Split decision: ${forecasterLabel(mae, ev.movingAverageWindow)} has the lowest MAE, ${forecasterLabel(rmse, ev.movingAverageWindow)} the lowest RMSE.`;
  const lstmVsPersistence =
    l.mae < p.mae
      ? `The LSTM's MAE is ${pct(l.mae, p.mae)} below persistence on ${ev.actual.length} test windows: a small edge, check it on other ranges before trusting it.`
      : `The LSTM does not beat persistence (MAE ${pct(l.mae, p.mae)} higher) on ${ev.actual.length} test windows: expected for a price that moves almost like a random walk.`;
  return `${winner} ${lstmVsPersistence}`;
}
