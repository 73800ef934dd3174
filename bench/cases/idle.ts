// Reference: a process that loads tfjs and the backend and does nothing else. Its peak RSS is the floor
// under every other case's.
import type { CaseMeasure, CaseParams } from '../measure.js';

export default async function idle(_p: CaseParams): Promise<CaseMeasure> {
  return { windows: 0, rows: 0, bytes: 0, seconds: 0, capped: false };
}
