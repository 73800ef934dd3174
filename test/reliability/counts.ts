import { writeFileSync } from 'node:fs';

/**
 * Counts the reliability tests report for the note (trials, kills, faults injected, bad inputs tried,
 * rows lost). Printed once after the whole run; written as JSON to $TFPL_RELIABILITY_REPORT when set.
 */
class Counts {
  readonly values = new Map<string, number>();
  add(key: string, n: number): void {
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.values.get(key) ?? 0;
  }
}

export const reliabilityCounts = new Counts();

// A root-level hook: runs once after every test of the run, whichever reliability files were loaded.
after(() => {
  if (reliabilityCounts.values.size === 0) return;
  const sorted = Object.fromEntries([...reliabilityCounts.values].sort(([a], [b]) => a.localeCompare(b)));
  console.log(`\n  reliability counts: ${JSON.stringify(sorted)}`);
  if (process.env.TFPL_RELIABILITY_REPORT) writeFileSync(process.env.TFPL_RELIABILITY_REPORT, `${JSON.stringify(sorted, null, 2)}\n`);
});
