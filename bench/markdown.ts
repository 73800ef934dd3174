// BENCHMARKS.md from a run: when, where, the exact command, the table, the ratios and the JSON.

export interface MarkdownInput {
  date: string;
  command: string;
  mode: string;
  machine: { cores: number; cpuModel: string; memoryBytes: number; node: string; platform: string; backend?: string; zstd?: { name: string; kind: string; fallbackReason?: string }; loadavgBefore: number[]; loadavgAfter: number[] };
  totalSeconds: number;
}

const ANALYSIS_START = '<!-- analysis: hand-written, kept when the figures are regenerated -->';
const ANALYSIS_END = '<!-- /analysis -->';

/** The hand-written analysis of an existing BENCHMARKS.md (between its markers), or ''. */
export function keptAnalysis(markdown: string): string {
  const a = markdown.indexOf(ANALYSIS_START);
  const b = markdown.indexOf(ANALYSIS_END);
  return a >= 0 && b > a ? markdown.slice(a + ANALYSIS_START.length, b).trim() : '';
}

/** The generated part of BENCHMARKS.md; `analysis` (hand-written) goes between the header and the figures. */
export function renderMarkdown(doc: MarkdownInput, report: string, json: string, analysis = ''): string {
  const m = doc.machine;
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  return `# Benchmarks

Latest figures of \`npm run bench\` (issues #7, #13): batch throughput of this SDK next to the best a careful
user would otherwise write, measured in the same run on the same machine. Absolute times drift on shared
machines; compare the ratios (each with its spread over the rounds of the run).

- Date: ${doc.date}
- Machine: ${m.cores} cores (${m.cpuModel}), ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB memory, ${m.platform}, Node ${m.node}, tfjs backend ${m.backend ?? '?'}, zstd decoder ${m.zstd ? `${m.zstd.name} (${m.zstd.kind})${m.zstd.fallbackReason ? `: ${m.zstd.fallbackReason}` : ''}` : '?'}
- Load average (1 / 5 / 15 min) before: ${load(m.loadavgBefore)}; after: ${load(m.loadavgAfter)}
- Command: \`${doc.command}\` (${doc.mode}); total ${doc.totalSeconds.toFixed(0)} s
${analysis ? `\n${ANALYSIS_START}\n${analysis.trim()}\n${ANALYSIS_END}\n` : ''}
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
