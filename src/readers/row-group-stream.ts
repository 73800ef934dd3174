import type { Column, ColumnBatch } from '../schema/columns.js';
import { type FilterPredicate, matchingRows, takeRows } from './row-filter.js';
import type { ReadUnit } from './read-unit.js';
import type { FetchedUnit, RowGroupLoader } from './row-group-loader.js';

/** How far a stream works ahead of its consumer. */
export interface StreamDepth {
  /** Units being decoded (or decoded and waiting) at once: the decode threads' work. */
  prefetch: number;
  /** Bytes of column chunks fetched or being fetched ahead of decoding: what hides a network's latency. */
  readAheadBytes: number;
}

/** Units queued at most, however small: each holds a promise and its bytes. */
const MAX_QUEUED = 1024;

interface Queued {
  unit: ReadUnit;
  bytes: number;
  fetched: Promise<FetchedUnit>;
  decoded: Promise<ColumnBatch> | null;
}

/**
 * Units (row groups, or slices of large ones) decoded in the order `units` gives them. Two windows work
 * ahead of the consumer: the first `prefetch` units are being decoded, and behind them units are fetched
 * while their bytes (with those of the ones decoding) stay within `readAheadBytes`, so a network's latency is
 * paid while the threads decode, not in front of them. Results come out in order even when decoded out of order, and
 * nothing new starts until the consumer pulls. Each comes with its rows that pass `filters` (possibly
 * none), in `columns` only.
 */
export async function* rowGroupStream(
  loader: RowGroupLoader,
  units: Iterator<ReadUnit>,
  depth: StreamDepth,
  filters: readonly FilterPredicate[],
  columns: readonly string[],
): AsyncGenerator<{ unit: ReadUnit; batch: ColumnBatch }> {
  const queue: Queued[] = [];
  // Ended early (the consumer broke out): fetches still waiting for a request slot are not sent.
  const stop = new AbortController();
  let bytesQueued = 0;
  let peeked: IteratorResult<ReadUnit> | null = null;
  const fill = () => {
    for (;;) {
      if (queue.length >= MAX_QUEUED) break;
      const next = (peeked ??= units.next());
      if (next.done) break;
      const bytes = loader.byteLengthOf(next.value);
      // Always `prefetch` row groups (the threads need work); past them, only while the bytes fit.
      if (queue.length >= depth.prefetch && bytesQueued + bytes > depth.readAheadBytes) break;
      peeked = null;
      const fetched = loader.fetch(next.value, stop.signal);
      fetched.catch(() => {}); // observed when its turn comes; this only stops an unhandled-rejection crash meanwhile
      queue.push({ unit: next.value, bytes, fetched, decoded: null });
      bytesQueued += bytes;
    }
    for (let i = 0; i < Math.min(depth.prefetch, queue.length); i++) {
      const q = queue[i]!;
      if (q.decoded) continue;
      q.decoded = q.fetched.then((f) => loader.decode(f));
      q.decoded.catch(() => {});
    }
  };
  try {
    fill();
    while (queue.length > 0) {
      const q = queue.shift()!;
      const b = await q.decoded!;
      bytesQueued -= q.bytes;
      fill();
      const idx = matchingRows(b, filters);
      const out: Record<string, Column> = {};
      for (const n of columns) out[n] = idx ? takeRows(b.columns[n]!, idx) : b.columns[n]!;
      yield { unit: q.unit, batch: { numRows: idx ? idx.length : b.numRows, columns: out } };
    }
  } finally {
    stop.abort();
  }
}
