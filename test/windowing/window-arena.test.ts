import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { WINDOW_COPY_WASM, WindowArena } from '../../src/windowing/window-arena.js';

describe('WindowArena: windows copied inside one WebAssembly memory', () => {
  it('embeds exactly the module window-copy.wat compiles to', async () => {
    const wabt = await wabtInit();
    const wat = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'windowing', 'window-copy.wat'), 'utf8');
    const { buffer } = wabt.parseWat('window-copy.wat', wat, { bulk_memory: true }).toBinary({});
    expect(Array.from(WINDOW_COPY_WASM)).to.deep.equal(Array.from(buffer));
  });

  it('holds a batch region larger than a page from the start', () => {
    const arena = WindowArena.create(256 * 48 * 4)!;
    const batch = arena.batchView(256 * 48 * 4);
    batch[batch.length - 1] = 7;
    expect(batch[batch.length - 1]).to.equal(7);
    expect(arena.buffer.byteLength).to.be.at.least(256 * 48 * 4 * 4);
  });

  it('copies n windows from rows `step` apart into consecutive batch slots, before and after the memory grows', () => {
    const arena = WindowArena.create(3 * 4)!;
    let work = arena.workView(10);
    work.set(Array.from({ length: 10 }, (_, i) => i + 1));
    const batch = arena.batchView(12);
    arena.copyWindows(2, 0, 3, 4, 2); // windows of 4 values starting at work floats 2, 4, 6
    expect(Array.from(batch)).to.deep.equal([3, 4, 5, 6, 5, 6, 7, 8, 7, 8, 9, 10]);
    // 1M floats: past the first 64 KiB page, so the memory grows and every earlier view is detached.
    work = arena.workView(1_000_000);
    expect(batch.length).to.equal(0);
    expect(Array.from(work.subarray(0, 10))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    work.set([7.5, 8.5, -1, -2], 999_996);
    arena.copyWindows(999_996, 8, 1, 4, 0);
    // The batch region kept what was copied before the growth; a view taken again sees both.
    expect(Array.from(arena.batchView(12))).to.deep.equal([3, 4, 5, 6, 5, 6, 7, 8, 7.5, 8.5, -1, -2]);
    expect(arena.buffer.byteLength).to.be.at.least((12 + 1_000_000) * 4);
  });
});
