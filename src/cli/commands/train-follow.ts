import { trainLive } from '../../forecasting/index.js';
import type { IoOptions } from '../../index.js';
import { abortOnSigint, type CliIO, EXIT_OK, UsageError } from '../command.js';
import { toJsonLine } from '../format.js';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--every 1h` (ms, s, m, h, d; a bare number is seconds) → milliseconds. */
export function durationFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  const ms = m ? Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!) : NaN;
  if (!(ms >= 1)) throw new UsageError(`--${name} must be a duration such as 90s, 15m, 1h or 500ms (a bare number is seconds); received ${JSON.stringify(value)}`);
  return ms;
}

/** What `tfpl train --follow` takes from its command line. */
export interface TrainFollowArgs {
  store: string;
  modelDir: string;
  everyMs: number;
  epochs: number | undefined;
  minWindows: number | undefined;
  versions: number | undefined;
  json: boolean;
  io: IoOptions;
}

/**
 * `tfpl train --follow`: keeps the model in --out learning from the store's new windows (`trainLive`),
 * saving a version every --every, until Ctrl-C or --versions.
 */
export async function trainFollow(a: TrainFollowArgs, io: CliIO): Promise<number> {
  const interrupt = abortOnSigint(io, 'train', 'finishing the current version');
  try {
    if (!a.json) io.stdout.write(`following ${a.store}: a new version of ${a.modelDir} every ${a.everyMs / 1000} s with new windows (Ctrl-C stops)\n`);
    const totals = await trainLive(a.modelDir, a.store, {
      everyMs: a.everyMs,
      ...(a.epochs !== undefined ? { epochs: a.epochs } : {}),
      ...(a.minWindows !== undefined ? { minWindows: a.minWindows } : {}),
      ...(a.versions !== undefined ? { versions: a.versions } : {}),
      signal: interrupt.signal,
      io: a.io,
      onVersion: (v) =>
        io.stdout.write(
          a.json ? `${toJsonLine({ ...v, savedAt: new Date(v.savedAt).toISOString() })}\n` : `version ${v.version}: ${v.windows} new window(s), loss ${v.loss.toPrecision(4)} (${v.windowsFollowed} since the follow began)\n`,
        ),
    });
    if (!a.json) io.stdout.write(`stopped after ${totals.versions} version(s), ${totals.windows} window(s) trained on\n`);
    return EXIT_OK;
  } finally {
    interrupt.release();
  }
}
