// Public surface of the plotting stage; src/index.ts re-exports these by name.
export { forecastChartSpec, priceChartSpec, volatilityChartSpec, type ChartOptions } from './specs.js';
export { CHART_FONT, renderSvg, svgToPng, writeChart, type ChartFiles } from './render.js';
