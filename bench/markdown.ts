// BENCHMARKS.md from a run: when, where, the exact command, the table, the ratios and the JSON.

export interface MarkdownInput {
  date: string;
  command: string;
  mode: string;
  machine: { cores: number; cpuModel: string; memoryBytes: number; node: string; platform: string; backend?: string; loadavgBefore: number[]; loadavgAfter: number[] };
  totalSeconds: number;
}

/** The generated part of BENCHMARKS.md; `analysis` (hand-written) goes between the header and the figures. */
export function renderMarkdown(doc: MarkdownInput, report: string, json: string, analysis = ''): string {
  const m = doc.machine;
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  return `# Benchmarks

Latest figures of \`npm run bench\` (issue #7): batch throughput of this SDK next to what a tfjs user would
otherwise write, measured in the same run on the same machine. Absolute times drift on shared machines;
compare the ratios.

- Date: ${doc.date}
- Machine: ${m.cores} cores (${m.cpuModel}), ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB memory, ${m.platform}, Node ${m.node}, tfjs backend ${m.backend ?? '?'}
- Load average (1 / 5 / 15 min) before: ${load(m.loadavgBefore)}; after: ${load(m.loadavgAfter)}
- Command: \`${doc.command}\` (${doc.mode}); total ${doc.totalSeconds.toFixed(0)} s
${analysis ? `\n${analysis.trim()}\n` : ''}
## Table (medians)

\`\`\`text
${report.trim()}
\`\`\`

## JSON

<details><summary>Full output of <code>--json</code></summary>

\`\`\`json
${json.trim()}
\`\`\`

</details>
`;
}
