// The remote cases: this SDK's makeTfDataset over the bench's HTTP store (a store of its own, row groups of
// 16,384 rows), served as is or with every answer delayed, for `epochs` epochs, with or without the cache.
// Reports each epoch's seconds and the bytes and requests it fetched.
import * as tf from '@tensorflow/tfjs';
import { makeTfDataset, openStore } from '../../src/index.js';
import { type CaseMeasure, type CaseParams, consume, now, xsBytes } from '../measure.js';
import { sdkOptions } from './windows.js';

export default async function remote(p: CaseParams): Promise<CaseMeasure> {
  if (!p.storeUrl) throw new Error('the remote case needs the store URL');
  const io = { ...(p.cacheBytes ? { cache: { bytes: p.cacheBytes } } : {}), ...(p.sdkWorkers === undefined ? {} : { workers: p.sdkWorkers }) };
  const t0 = now();
  const store = await openStore(p.storeUrl, io);
  const ds = await makeTfDataset(store, { ...sdkOptions(p), ...io });
  const stats = store.location.stats!;
  const openSeconds = now() - t0;
  const extra: Record<string, number> = { openSeconds, openBytes: stats.bytesFetched, openRequests: stats.requests };
  let windows = 0;
  let seconds = 0;
  for (let e = 1; e <= (p.epochs ?? 1); e++) {
    const [bytes, requests, retries] = [stats.bytesFetched, stats.requests, stats.retries];
    const r = await consume(ds, tf);
    windows += r.windows;
    seconds += r.seconds;
    extra[`epoch${e}Seconds`] = r.seconds;
    extra[`epoch${e}Bytes`] = stats.bytesFetched - bytes;
    extra[`epoch${e}Requests`] = stats.requests - requests;
    extra[`epoch${e}Retries`] = stats.retries - retries;
  }
  // The first epoch's time, open included, is the figure compared across servers; later epochs show the cache.
  const perEpoch = windows / (p.epochs ?? 1);
  return { windows: perEpoch, rows: perEpoch + p.window, bytes: xsBytes(perEpoch, p), seconds: openSeconds + extra.epoch1Seconds!, capped: false, extra };
}
