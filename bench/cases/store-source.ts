// The store as a WindowSource: the loader's storeWindowSource with the case's decode workers.
import { storeWindowSource } from '../../src/loader/index.js';
import type { WindowSource } from '../../src/windowing/window-source.js';
import type { CaseParams } from '../measure.js';

export async function storeSource(p: CaseParams): Promise<WindowSource> {
  return storeWindowSource(p.storeDir, { workers: p.workers });
}
