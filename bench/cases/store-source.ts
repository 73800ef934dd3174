// The store as a WindowSource: the loader's storeWindowSource with the case's decode workers (the SDK's default
// unless set), from the local folder or, for the HTTP cases, from the bench's HTTP server.
import { storeWindowSource, type WindowSource } from '../../src/index.js';
import type { CaseParams } from '../measure.js';

export async function storeSource(p: CaseParams): Promise<WindowSource> {
  return storeWindowSource(p.storeUrl ?? p.storeDir, p.sdkWorkers === undefined ? {} : { workers: p.sdkWorkers });
}
