// The best window assembly a careful tfjs user writes by hand over typed columns (about 40 lines), with the
// SDK's own tricks: on the wasm backend (which copies a batch into its own memory when it makes a tensor, so
// batch buffers can be reused), one interleave into a row-major copy held in a WebAssembly memory beside the
// batch buffer, then each batch's windows copied by one call of the SDK's 104-byte `memory.copy` loop; on other
// backends, one `set` per window into fresh batch buffers. One tensor per batch. Shared by the DuckDB and
// parsed-CSV baselines.
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { type CaseMeasure, type CaseParams, consume, now, xsBytes } from '../measure.js';

/** The SDK's window copy module, compiled from its text (src/windowing/window-copy.wat) as a user copying it would. */
const windowCopyModule: Promise<WebAssembly.Module> = (async () => {
  // From bench/cases/ in the sources, or from the bench's compiled copy under .cache/: the nearest one up.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'src', 'windowing', 'window-copy.wat')) && dirname(dir) !== dir) dir = dirname(dir);
  const wat = readFileSync(join(dir, 'src', 'windowing', 'window-copy.wat'), 'utf8');
  const { buffer } = (await wabtInit()).parseWat('window-copy.wat', wat, { bulk_memory: true }).toBinary({});
  return new WebAssembly.Module(new Uint8Array(buffer));
})();

type CopyWindows = (src: number, dst: number, n: number, len: number, step: number) => void;

/** xs [b, window, F] from `columns` (F features, row-major per window), ys [b, 1] = column 0 of the next row. */
export async function handWindowsDataset(p: CaseParams, numRows: number, columns: Float32Array[]): Promise<tf.data.Dataset<tf.TensorContainer>> {
  const W = p.window;
  const F = columns.length;
  const B = p.batch;
  const module = await windowCopyModule;
  return tf.data.generator(function* () {
    const batchFloats = B * W * F;
    // Other backends may keep a reference to the array a tensor is made from: allocate per batch there.
    const reuse = tf.getBackend() === 'wasm';
    const wasm = reuse ? new WebAssembly.Instance(module).exports : null;
    const memory = wasm?.memory as WebAssembly.Memory | undefined;
    if (memory) memory.grow(Math.max(0, Math.ceil(((batchFloats + numRows * F) * 4 - memory.buffer.byteLength) / 65_536)));
    const rowMajor = memory ? new Float32Array(memory.buffer, batchFloats * 4, numRows * F) : new Float32Array(numRows * F);
    for (let f = 0; f < F; f++) {
      const c = columns[f]!;
      for (let i = 0, o = f; i < numRows; i++, o += F) rowMajor[o] = c[i]!;
    }
    const y = columns[0]!;
    const total = Math.max(0, numRows - W);
    const batch = memory ? new Float32Array(memory.buffer, 0, batchFloats) : null;
    let ys = new Float32Array(B);
    for (let s0 = 0; s0 < total; s0 += B) {
      const b = Math.min(B, total - s0);
      let xs: Float32Array;
      if (batch) {
        (wasm!.copyWindows as CopyWindows)((batchFloats + s0 * F) * 4, 0, b, W * F * 4, F * 4);
        xs = b < B ? batch.subarray(0, b * W * F) : batch;
        if (b < B) ys = new Float32Array(b);
      } else {
        xs = new Float32Array(b * W * F);
        ys = new Float32Array(b);
        for (let k = 0; k < b; k++) xs.set(rowMajor.subarray((s0 + k) * F, (s0 + k + W) * F), k * W * F);
      }
      for (let k = 0; k < b; k++) ys[k] = y[s0 + k + W]!;
      yield { xs: tf.tensor3d(xs, [b, W, F]), ys: tf.tensor2d(ys, [b, 1]) };
    }
  }) as unknown as tf.data.Dataset<tf.TensorContainer>;
}

/** Typed feature columns read by a baseline (DuckDB, a CSV parser), the first `limit` rows when given. */
export type ReadColumns = (p: CaseParams, limit?: number) => Promise<{ numRows: number; columns: Float32Array[] }>;
type MakeDataset = (p: CaseParams, numRows: number, columns: Float32Array[]) => tf.data.Dataset<tf.TensorContainer> | Promise<tf.data.Dataset<tf.TensorContainer>>;

/**
 * A baseline that reads typed columns, then windows them: warmed up on the first batches' rows, then timed
 * from the read (its open included) to the last batch, with the read and the windowing apart.
 */
export async function readThenWindow(p: CaseParams, read: ReadColumns, windows: MakeDataset): Promise<CaseMeasure> {
  const warm = await read(p, p.warmupBatches * p.batch + p.window);
  await consume(await windows(p, warm.numRows, warm.columns), tf);
  const t0 = now();
  const { numRows, columns } = await read(p);
  const readSeconds = now() - t0;
  const r = await consume(await windows(p, numRows, columns), tf);
  const seconds = now() - t0;
  return {
    windows: r.windows,
    rows: numRows,
    bytes: xsBytes(r.windows, p),
    seconds,
    capped: false,
    extra: { readSeconds, assemblySeconds: seconds - readSeconds, readRowsPerSec: numRows / readSeconds, firstBatchSeconds: readSeconds + r.firstBatchSeconds },
  };
}
