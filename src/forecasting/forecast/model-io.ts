import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type NormalizationStats, normalizationFromJSON, parseOptions, StoreError } from '../../index.js';
import type { ForecasterConfig } from './options.js';
import type { Forecaster } from './train.js';

/** Files of a saved forecaster directory. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const FORECASTER_JSON = 'forecaster.json';

function dirOf(url: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return resolve(path);
}

/**
 * A tfjs `IOHandler` that writes and reads the `tfjs_layers_model` layout of tfjs-node's `file://`
 * handler (`model.json` + `weights.bin`), so models saved on the WASM or CPU backend load anywhere.
 *
 * @example
 * await model.save(fileSystemHandler('./out/model'));
 * const again = await tf.loadLayersModel(fileSystemHandler('./out/model'));
 */
export function fileSystemHandler(dir: string): tf.io.IOHandler {
  const root = dirOf(dir);
  return {
    async save(artifacts) {
      await mkdir(root, { recursive: true });
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      await writeFile(join(root, WEIGHTS_BIN), new Uint8Array(data));
      await writeFile(join(root, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(join(root, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
      } catch (err) {
        throw new StoreError(`fileSystemHandler: cannot read ${join(root, MODEL_JSON)}: ${(err as Error).message}; is ${root} a saved model directory?`, root);
      }
      const weights = await readFile(join(root, WEIGHTS_BIN));
      const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
      return tf.io.getModelArtifactsForJSON(json, async () => [weightSpecs, weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)]);
    },
  };
}

let routerRegistered = false;

/**
 * Makes `model.save('file://dir')` and `tf.loadLayersModel('file://dir/model.json')` work without
 * tfjs-node (which registers its own router; then nothing is added). Idempotent.
 */
export function registerFileRouter(): void {
  if (routerRegistered || tf.io.getSaveHandlers('file:///probe').length > 0) return;
  routerRegistered = true;
  const route = (url: string | string[]) => {
    const u = Array.isArray(url) ? url[0]! : url;
    // A router answers null for URLs it does not handle (tfjs's own routers do the same).
    return (u.startsWith('file://') ? fileSystemHandler(u.replace(/\/model\.json$/, '')) : null) as tf.io.IOHandler;
  };
  tf.io.registerSaveRouter(route);
  tf.io.registerLoadRouter(route);
}

const savedSchema = z.object({
  version: z.literal(1),
  config: z.object({
    version: z.literal(1),
    timestampColumn: z.string(),
    priceColumn: z.string(),
    seriesColumns: z.array(z.string()).optional(),
    windowSize: z.number().int().min(2),
    units: z.number().int().min(1),
    maxGap: z.number().nullable(),
    training: z.object({
      epochs: z.number(),
      batchSize: z.number(),
      learningRate: z.number(),
      split: z.object({ train: z.number(), validation: z.number(), test: z.number() }),
      seed: z.number(),
      movingAverageWindow: z.number(),
    }),
  }),
  normalization: z.unknown(),
  extra: z.record(z.string(), z.unknown()).optional(),
});

/** `forecaster.json`: what the model needs besides its weights. */
export interface SavedForecaster {
  version: 1;
  config: ForecasterConfig;
  normalization: NormalizationStats;
  /** Free-form facts about the run (data label, store, metrics); not read back by the SDK. */
  extra?: Record<string, unknown>;
}

/**
 * Saves a forecaster into `dir`: `model.json` + `weights.bin` (the layout of tfjs-node's `file://` handler), and
 * `forecaster.json` with the normalisation statistics and the options used.
 *
 * @example
 * await saveForecaster('./out/model', trained, { data: 'SYNTHETIC' });
 */
export async function saveForecaster(dir: string, forecaster: Forecaster, extra?: Record<string, unknown>): Promise<{ dir: string; files: string[] }> {
  const root = dirOf(dir);
  await mkdir(root, { recursive: true });
  // The handler itself rather than a 'file://' URL: with tfjs-node loaded after registerFileRouter(), two
  // routers would claim the URL and tfjs refuses to choose. The files are the same either way.
  await forecaster.model.save(fileSystemHandler(root));
  const saved: SavedForecaster = { version: 1, config: forecaster.config, normalization: forecaster.normalization, ...(extra ? { extra } : {}) };
  // NaN statistics (no values) become null, which the loader reads back as NaN.
  await writeFile(join(root, FORECASTER_JSON), `${JSON.stringify(saved, null, 2)}\n`);
  return { dir: root, files: [MODEL_JSON, WEIGHTS_BIN, FORECASTER_JSON].map((f) => join(root, f)) };
}

/** The file naming the current version of a model directory that holds versions (`versions/<n>/`). */
export const CURRENT_FILE = 'CURRENT';
const VERSIONS_DIR = 'versions';

/**
 * The version `loadForecaster(dir)` loads now: the number `CURRENT` names, or `'0'` for a directory written
 * by `saveForecaster` alone (no versions yet). Cheap: one small read, to check between ticks.
 */
export async function currentModelVersion(dir: string): Promise<string> {
  try {
    const v = (await readFile(join(dirOf(dir), CURRENT_FILE), 'utf8')).trim();
    if (!/^\d+$/.test(v)) throw new StoreError(`currentModelVersion: ${join(dirOf(dir), CURRENT_FILE)} holds ${JSON.stringify(v)}, not a version number; restore it or remove it to load the model at the directory's root`, dirOf(dir));
    return v;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '0';
    throw err;
  }
}

/**
 * Saves `forecaster` as the next version of the model in `dir`: written whole into `versions/<n>/`, then
 * made current by replacing `CURRENT` (a rename, atomic), so a reader (`loadForecaster`, a live
 * `predict --follow`) loads the last version or the new one, never a half-written one. Versions before it
 * stay beside it. Returns the new version.
 *
 * @example
 * const { version } = await saveForecasterVersion('./out/model', retrained, { windowsSince: 240 });
 */
export async function saveForecasterVersion(dir: string, forecaster: Forecaster, extra?: Record<string, unknown>): Promise<{ version: string; dir: string }> {
  const root = dirOf(dir);
  const version = String(Number(await currentModelVersion(root)) + 1);
  const target = join(root, VERSIONS_DIR, version);
  const temp = join(root, VERSIONS_DIR, `.${version}-${process.pid}-${Date.now()}`);
  await rm(target, { recursive: true, force: true }); // a version left by a save that died before CURRENT named it
  await saveForecaster(temp, forecaster, extra);
  await rename(temp, target);
  const pointer = join(root, `.${CURRENT_FILE}-${process.pid}-${Date.now()}`);
  const fh = await open(pointer, 'w');
  try {
    await fh.writeFile(`${version}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(pointer, join(root, CURRENT_FILE));
  return { version, dir: target };
}

/**
 * Loads what `saveForecaster` wrote (or, in a directory of versions, the one `CURRENT` names). Dispose
 * `model` when done. `version` is `'0'` for a directory without versions.
 *
 * @example
 * const f = await loadForecaster('./out/model');
 * const next = await forecastNext(f, './out/btc-store');
 */
export async function loadForecaster(dir: string): Promise<Forecaster & { extra?: Record<string, unknown>; version: string }> {
  const version = await currentModelVersion(dir);
  const root = version === '0' ? dirOf(dir) : join(dirOf(dir), VERSIONS_DIR, version);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(root, FORECASTER_JSON), 'utf8'));
  } catch (err) {
    throw new StoreError(`loadForecaster: cannot read ${join(root, FORECASTER_JSON)}: ${(err as Error).message}; pass the directory written by saveForecaster (tfpl train --out)`, root);
  }
  const where = `loadForecaster: ${join(root, FORECASTER_JSON)}`;
  const saved = parseOptions(where, savedSchema, raw);
  const normalization = normalizationFromJSON(saved.normalization, `${where}: normalization`);
  const model = await tfl.loadLayersModel(fileSystemHandler(root));
  return { model, config: saved.config as ForecasterConfig, normalization, extra: saved.extra, version };
}
