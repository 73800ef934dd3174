/** Shared text formatting for CLI output. */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function formatInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** A table with left-aligned text columns and right-aligned numeric ones. */
export function formatTable(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** JSON.stringify that writes bigint as a number when safe, else as a string. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v)) : v), indent);
}

/** One JSON object per line (JSON Lines), for commands that print as they go (`--follow`). */
export function toJsonLine(value: unknown): string {
  return toJson(value, 0);
}
