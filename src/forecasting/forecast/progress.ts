import type { FetchStats } from '../../index.js';
import type { TrainProgress } from './train.js';

/** Where `trainingProgress` writes: a stream, and whether it is a terminal. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

/** `cli-progress`, an optional peer dependency: null when it is not installed (progress is then printed as lines). */
async function progressBars(): Promise<typeof import('cli-progress') | null> {
  try {
    return (await import('cli-progress')).default;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw err;
  }
}

const MB = (bytes: number) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** What a remote store has fetched, for a progress line: bytes, cache and retries. Empty for a local store. */
function fetchedText(stats: FetchStats | undefined): string {
  if (!stats) return '';
  const cache = stats.bytesFromCache > 0 ? `, ${MB(stats.bytesFromCache)} from cache` : '';
  return ` | fetched ${MB(stats.bytesFetched)} in ${stats.requests} requests${cache}, ${stats.retries} ${stats.retries === 1 ? 'retry' : 'retries'}`;
}

/**
 * Training progress for `trainForecaster`'s `onProgress`: a bar over all batches of all epochs on a terminal
 * (with the optional `cli-progress` package), else one line per epoch on `stream`, nothing per batch. With
 * `fetchStats` (a remote store's `store.location.stats`), it also shows what was fetched and how many
 * requests were retried.
 *
 * @example
 * const progress = await trainingProgress(process.stdout, { fetchStats: store.location.stats });
 * await trainForecaster(store, {}, (p) => progress.update(p)).finally(() => progress.stop());
 */
export async function trainingProgress(stream: ProgressStream, options: { bar?: boolean; fetchStats?: FetchStats } = {}): Promise<{ update(p: TrainProgress): void; stop(): void }> {
  let started = performance.now();
  let epochs = 0;
  const fetched = () => fetchedText(options.fetchStats);
  const cliProgress = (options.bar ?? stream.isTTY === true) ? await progressBars() : null;
  if (cliProgress) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'train [{bar}] epoch {epoch}/{epochs} | step {value}/{total} | loss {loss} | val_loss {val} | {duration_formatted}{fetched}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let perEpoch = 0;
    let on = false;
    let val = '-';
    return {
      update(p) {
        if (p.kind === 'start') {
          epochs = p.epochs;
          perEpoch = p.batchesPerEpoch;
          bar.start(p.epochs * p.batchesPerEpoch, 0, { epoch: 1, epochs, loss: '-', val, fetched: fetched() });
          on = true;
        } else if (p.kind === 'batch') bar.update(p.epoch * perEpoch + p.batch + 1, { epoch: p.epoch + 1, loss: p.loss.toFixed(4), fetched: fetched() });
        else {
          val = p.valLoss.toFixed(4);
          bar.update((p.epoch + 1) * perEpoch, { epoch: p.epoch + 1, loss: p.loss.toFixed(4), val, fetched: fetched() });
        }
      },
      stop() {
        if (on) bar.stop();
        on = false;
      },
    };
  }
  return {
    update(p) {
      if (p.kind === 'start') {
        epochs = p.epochs;
        started = performance.now();
        stream.write(`training: ${p.windows.train} train windows (${p.batchesPerEpoch} batches/epoch), ${p.windows.validation} validation windows, ${p.epochs} epochs\n`);
      } else if (p.kind === 'epoch') {
        stream.write(`epoch ${p.epoch + 1}/${epochs}: loss ${p.loss.toFixed(4)}, val_loss ${p.valLoss.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(1)} s)${fetched()}\n`);
      }
    },
    stop() {},
  };
}
