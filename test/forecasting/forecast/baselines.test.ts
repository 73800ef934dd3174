import { expect } from 'chai';
import { forecastMetrics, movingAverageForecast, persistenceForecast } from '../../../src/forecasting/index.js';

describe('forecast/baselines and metrics', () => {
  it('persistence repeats each window\'s last price', () => {
    expect(Array.from(persistenceForecast(Float32Array.of(1, 2, 3, 4, 5, 6), 3))).to.deep.equal([3, 6]);
  });

  it('the moving average averages the last k prices of each window', () => {
    expect(Array.from(movingAverageForecast(Float32Array.of(1, 2, 3, 4, 5, 6), 3, 2))).to.deep.equal([2.5, 5.5]);
    expect(Array.from(movingAverageForecast(Float32Array.of(1, 2, 3, 4, 5, 6), 3, 3))).to.deep.equal([2, 5]);
    expect(() => movingAverageForecast(Float32Array.of(1, 2), 2, 3)).to.throw(/k must be <= windowSize \(2\): the average is of prices inside the window; received 3/);
    expect(() => movingAverageForecast(Float32Array.of(1, 2), 2, 0.5)).to.throw(/movingAverageForecast: k must be an integer; received 0.5/);
  });

  it('MAE and RMSE are in the units of the prices', () => {
    const m = forecastMetrics(Float64Array.of(100, 200, 300), Float64Array.of(110, 190, 300));
    expect(m.mae).to.be.closeTo(20 / 3, 1e-12);
    expect(m.rmse).to.be.closeTo(Math.sqrt(200 / 3), 1e-12);
    expect(forecastMetrics([], []).mae).to.be.NaN;
  });
});
