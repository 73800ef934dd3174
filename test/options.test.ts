import { expect } from 'chai';
import { analyzeStore, BitcoinSchema, forecastNext, trainForecaster } from '../src/forecasting/index.js';
import { ConfigError, importCsv, makeBatchReader, makeReader, makeTfDataset, materializeDataset, openStore, storeWindowSource } from '../src/index.js';

/** The ConfigError a call throws (a store that does not exist proves it came before any I/O). */
async function configError(call: () => Promise<unknown>): Promise<string> {
  const err = await call().then(
    () => expect.fail('the call was accepted'),
    (e: unknown) => e,
  );
  expect(err, String(err)).to.be.instanceOf(ConfigError);
  return (err as Error).message;
}

const NOWHERE = '/no/such/store';
const windows = { features: ['x'], targets: ['x'], windowSize: 4 };

describe('options: one parse, one message format, before any I/O', () => {
  it('names the function, the option, the rule with the valid values, and the value received', async () => {
    expect(await configError(() => makeTfDataset(NOWHERE, { ...windows, windowSize: 0 }))).to.equal('makeTfDataset: windowSize must be an integer >= 1; received 0');
    expect(await configError(() => makeTfDataset(NOWHERE, { ...windows, subset: 'dev' as never }))).to.equal('makeTfDataset: subset must be one of "train", "validation", "test"; received "dev"');
    expect(await configError(() => makeBatchReader(NOWHERE, { rangeFallback: 'retry' as never }))).to.equal('makeBatchReader: rangeFallback must be one of "error", "download"; received "retry"');
    expect(await configError(() => makeReader(NOWHERE, { workers: -1 }))).to.equal('makeReader: workers must be >= 0; received -1');
    expect(await configError(() => openStore(NOWHERE, { headers: { authorization: 5 as never } }))).to.equal('openStore: headers.authorization must be a string; received 5');
    expect(await configError(() => storeWindowSource(NOWHERE, { prefetch: 1.5 }))).to.equal('storeWindowSource: prefetch must be an integer; received 1.5');
    expect(await configError(() => materializeDataset(NOWHERE, BitcoinSchema, [], { compression: 'lz4' as never }))).to.equal('materializeDataset: compression must be one of "zstd", "snappy", "none"; received "lz4"');
    expect(await configError(() => importCsv('x.csv', NOWHERE, BitcoinSchema, { skipInvalid: 'yes' as never }))).to.equal('importCsv: skipInvalid must be true or false; received "yes"');
  });

  it('an unknown option lists the valid ones, so a misspelling is found at once', async () => {
    const msg = await configError(() => makeBatchReader(NOWHERE, { column: ['x'] } as never));
    expect(msg).to.match(/^makeBatchReader: unknown option "column"; valid options: headers, fetch, files, rangeFallback, fetchTimeoutMs, verifyChecksums, retry, cache, readAhead, s3, filters, shardIndex, shardCount, workers, prefetch, maxBatchBytes, columns, shuffleRowGroups, seed, numEpochs, batchSize$/);
    expect(await configError(() => openStore(NOWHERE, { header: {} } as never))).to.equal('openStore: unknown option "header"; valid options: headers, fetch, files, rangeFallback, fetchTimeoutMs, verifyChecksums, retry, cache, readAhead, s3');
  });

  it('the read options are one declaration: every function that reads a store takes the same ones', async () => {
    // headers, fetch, files, rangeFallback, filters, workers, prefetch are accepted (and checked) by each.
    const bad = { prefetch: 0 };
    for (const [name, call] of [
      ['makeBatchReader', () => makeBatchReader(NOWHERE, bad)],
      ['makeReader', () => makeReader(NOWHERE, bad)],
      ['makeTfDataset', () => makeTfDataset(NOWHERE, { ...windows, ...bad })],
      ['storeWindowSource', () => storeWindowSource(NOWHERE, bad)],
      ['analyzeStore', () => analyzeStore(NOWHERE, bad)],
      ['trainForecaster', () => trainForecaster(NOWHERE, bad)],
      ['forecastNext', () => forecastNext({} as never, NOWHERE, bad)],
    ] as const) {
      expect(await configError(call)).to.equal(`${name}: prefetch must be >= 1; received 0`);
    }
  });
});
