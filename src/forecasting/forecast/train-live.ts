import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { type FollowDataset, type FollowState, makeTfDataset, parseOptions, type Store, type StoreRef } from '../../index.js';
import { loadForecaster, saveForecasterVersion } from './model-io.js';
import { windowOptions } from './train.js';

const trainLiveSchema = z.strictObject({
  /** Milliseconds between two rounds of training (each on the windows that came since the last). Required. */
  everyMs: z.number().int().min(1),
  /** Passes over a round's new windows. Default 1. */
  epochs: z.number().int().min(1).default(1),
  /** A round with fewer new windows waits for the next. Default 1. */
  minWindows: z.number().int().min(1).default(1),
  /** Stop after this many versions saved. Default: until `signal`. */
  versions: z.number().int().min(1).optional(),
  /** How often to look for a new commit (see `makeTfDataset`'s `follow`). */
  intervalMs: z.number().int().min(10).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, { error: 'must be an AbortSignal' }).optional(),
  /** I/O options of the store (`s3`, `retry`, `headers`, ...), as for `openStore`. */
  io: z.record(z.string(), z.unknown()).default({}),
  /** Called after each version is saved. */
  onVersion: z.custom<(v: LiveVersion) => void>((v) => typeof v === 'function', { error: 'must be a function' }).optional(),
});

/** Options of `trainLive`. */
export type TrainLiveOptions = z.input<typeof trainLiveSchema>;

/** One version saved by `trainLive`. */
export interface LiveVersion {
  version: string;
  /** Windows this round trained on, and since the follow began (across restarts). */
  windows: number;
  windowsFollowed: number;
  /** Mean loss of the round's last epoch. */
  loss: number;
  /** When it was saved (epoch ms). */
  savedAt: number;
}

/** A round's windows, raw, and the follow's state once they were taken. */
interface Round {
  xs: Float32Array[];
  ys: Float32Array[];
  windows: number;
  state: FollowState | null;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Keeps a saved forecaster learning from a growing store: follows it (`makeTfDataset` with `follow`, the
 * model's own window options and statistics), and every `everyMs` trains the model further (warm start) on
 * the windows the commits brought since the last round, then saves it as the next version beside the last
 * (`saveForecasterVersion`: atomic; a live `forecastLive` takes it up between its commits). The follow's
 * state is saved with each version, so a restart goes on with the windows after it: none trained twice,
 * none missed. The first run skips the windows of the store as found (the saved model was trained on them).
 *
 * @example
 * const stop = new AbortController();
 * await trainLive('./model', './market', { everyMs: 3_600_000, signal: stop.signal, onVersion: (v) => console.log(v) });
 */
export async function trainLive(modelDir: string, store: StoreRef | Store, options: TrainLiveOptions): Promise<{ versions: number; windows: number }> {
  const o = parseOptions('trainLive', trainLiveSchema, options);
  const forecaster = await loadForecaster(modelDir);
  const { model, config, normalization } = forecaster;
  const resumeFrom = forecaster.extra?.follow as FollowState | undefined;
  const { split: _split, ...windows } = windowOptions(config);
  // Stops the follow when the trainer stops, whichever ends it (the caller's signal, or `versions`).
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const ds = (await makeTfDataset(store, { ...windows, ...o.io, normalization, follow: o.intervalMs === undefined ? true : { intervalMs: o.intervalMs }, signal: stop.signal, ...(resumeFrom ? { resumeFrom } : {}) })) as FollowDataset;
  model.compile({ optimizer: tf.train.adam(config.training.learningRate), loss: 'meanSquaredError' });
  let round: Round = { xs: [], ys: [], windows: 0, state: null };
  let failed: unknown = null;
  const puller = (async () => {
    if (!resumeFrom) await ds.readCommit();
    for (;;) {
      const b = await ds.nextBatch();
      if (!b) return;
      round.xs.push(b.xs);
      round.ys.push(b.ys);
      round.windows += b.size;
      // Right after a batch is the only point a state is whole (see FollowDataset.state).
      round.state = ds.state();
    }
  })().catch((err: unknown) => {
    failed = err;
    stop.abort();
  });
  const totals = { versions: 0, windows: 0 };
  try {
    while (!stop.signal.aborted) {
      await pause(o.everyMs, stop.signal);
      if (stop.signal.aborted || round.windows < o.minWindows) continue;
      const taken = round;
      round = { xs: [], ys: [], windows: 0, state: null };
      const xs = concat(taken.xs);
      const ys = concat(taken.ys);
      const n = taken.windows;
      const x = tf.tensor3d(xs, [n, config.windowSize, 1]);
      const y = tf.tensor2d(ys, [n, 1]);
      let loss: number;
      try {
        const history = await model.fit(x, y, { epochs: o.epochs, batchSize: config.training.batchSize, shuffle: true, verbose: 0 });
        loss = (history.history.loss!.at(-1) as number) ?? NaN;
      } finally {
        tf.dispose([x, y]);
      }
      const saved = await saveForecasterVersion(modelDir, { model, config, normalization }, { ...forecaster.extra, follow: taken.state });
      totals.versions++;
      totals.windows += n;
      o.onVersion?.({ version: saved.version, windows: n, windowsFollowed: taken.state!.windows, loss, savedAt: Date.now() });
      if (o.versions !== undefined && totals.versions >= o.versions) stop.abort();
    }
    await puller;
    if (failed) throw failed;
    return totals;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    stop.abort();
    model.optimizer?.dispose();
    model.dispose();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
