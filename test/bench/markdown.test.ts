import { expect } from 'chai';
import { keptAnalysis, renderMarkdown } from '../../bench/markdown.js';

describe('bench: BENCHMARKS.md', () => {
  const doc = { date: '2026-12-01T00:00:00Z', command: 'npm run bench', mode: 'compiled', totalSeconds: 1, machine: { cores: 2, cpuModel: 'x', memoryBytes: 2 ** 30, node: 'v20', platform: 'linux-x64', backend: 'wasm', zstd: { name: '@foxglove/wasm-zstd', kind: 'wasm' }, loadavgBefore: [1, 1, 1], loadavgAfter: [1, 1, 1] } };

  it('keeps the hand-written analysis when the figures are written again', () => {
    const first = renderMarkdown(doc, 'table one', '{}', '## Why\n\nBecause.');
    expect(first).to.contain('zstd decoder @foxglove/wasm-zstd (wasm)');
    expect(keptAnalysis(first)).to.equal('## Why\n\nBecause.');
    const second = renderMarkdown(doc, 'table two', '{}', keptAnalysis(first));
    expect(second).to.contain('table two').and.not.contain('table one');
    expect(keptAnalysis(second)).to.equal('## Why\n\nBecause.');
    expect(keptAnalysis('# Benchmarks without markers')).to.equal('');
  });
});
