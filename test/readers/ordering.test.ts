import { expect } from 'chai';
import { makeBatchReader } from '../../src/readers/batch-reader.js';
import { localLocation, type StoreLocation } from '../../src/index.js';
import { collect, useBtcStore } from './fixtures.js';

describe('delivery order', function () {
  this.timeout(60_000);
  const store = useBtcStore(3_000, 1_000, 1_000); // three files of one row group each

  it('delivers row groups in plan order even when a later one finishes first (Petastorm #551)', async () => {
    const local = await localLocation(store());
    const files = (await local.list())!;
    expect(files.length).to.equal(3);
    let releaseFirst!: () => void;
    const firstMayFinish = new Promise<void>((r) => (releaseFirst = r));
    const finished: string[] = [];
    // The first file's bytes arrive only after the last file's row group has been read.
    const gated: StoreLocation = {
      url: local.url,
      list: () => local.list(),
      open: async (path) => {
        const src = await local.open(path);
        if (!src || !files.includes(path)) return src;
        return {
          ...src,
          read: async (s, e) => {
            if (path === files[0]) await firstMayFinish;
            const bytes = await src.read(s, e);
            finished.push(path);
            if (path === files[2]) releaseFirst();
            return bytes;
          },
        };
      },
    };
    const batches = await collect(await makeBatchReader(gated, { workers: 0, prefetch: 3, columns: ['price_usd'] }));
    expect(finished.indexOf(files[2]!)).to.be.lessThan(finished.indexOf(files[0]!));
    expect(batches.map((b) => (b.columns.price_usd as Float32Array)[0])).to.deep.equal([0, 1_000, 2_000]);
  });
});
