import { FileChangedError } from '../store/parquet-read-error.js';
import { readStore, type ReadStoreOptions, type Store } from '../store/open-store.js';
import type { StoreLocation } from '../store/store-location.js';

/** Reads tried while commits keep landing, before the change is reported. */
const READ_ATTEMPTS = 5;

/**
 * `readStore` for a writer or a compaction, which read a store other writers commit to: a commit landing
 * while `_metadata` is read (an object store's `_metadata` replaced between its HEAD and its GET) is met by
 * reading again, as `openStore` does for readers.
 *
 * @example
 * const state = await readStoreState(await target.location(), 'materializeDataset', { allowEmpty: true });
 */
export async function readStoreState(location: StoreLocation, caller: string, options: ReadStoreOptions = {}): Promise<Store> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readStore(location, caller, options);
    } catch (err) {
      if (!(err instanceof FileChangedError) || attempt >= READ_ATTEMPTS) throw err;
    }
  }
}
