/**
 * `npm start`: the whole pipeline on embedded data, offline. A SYNTHETIC Bitcoin-like hourly year is
 * backfilled through the same path a live CoinGecko backfill uses, stored as schema-checked Parquet,
 * analysed and charted, and an LSTM is trained on it and compared with persistence and a moving average.
 * See examples/train-lstm.ts for the options:
 *
 *   npm start                                   # synthetic, ./out/
 *   npm start -- --csv ../shared/data/btc/hourly/coinbase_BTC-USD_1h_2023-12-31_2024-09-11.csv
 *   COINGECKO_API_KEY=... npm start -- --source coingecko
 */
import { runTrainLstm } from './train-lstm.js';

try {
  await runTrainLstm(process.argv.slice(2));
} catch (err) {
  console.error(`npm start: ${(err as Error).message}`);
  process.exitCode = 1;
}
