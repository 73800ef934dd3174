import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * LSTM(units) → Dense(1) on [windowSize, 1] inputs, compiled with Adam and MSE; every initialiser is
 * seeded, so the same seed and data give the same weights.
 */
export function buildLstmModel(windowSize: number, units: number, learningRate: number, seed: number): tfl.LayersModel {
  const model = tfl.sequential({ name: 'lstm_forecaster' });
  model.add(
    tfl.layers.lstm({
      units,
      inputShape: [windowSize, 1],
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      // Seeded Glorot rather than Keras' orthogonal default: tfjs warns about orthogonal on matrices over 2,000
      // elements (32 units: 4,096), noise on every run; for a one-layer forecaster the difference is immaterial.
      recurrentInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
    }),
  );
  model.add(tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 2 }) }));
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'meanSquaredError' });
  return model;
}
