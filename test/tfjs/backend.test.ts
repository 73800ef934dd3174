import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { initBackend } from '../../src/tfjs/backend.js';

describe('windowing/initBackend', () => {
  after(async () => {
    await initBackend('cpu');
  });

  it('falls back from tfjs-node (when not installed) to wasm and says why', async function () {
    const report = await initBackend();
    if (report.tfjsNode) this.skip(); // tfjs-node is installed on this machine: nothing to fall back from
    expect(report.name).to.equal('wasm');
    expect(report.tfjsNode).to.equal(false);
    expect(report.skipped.map((s) => s.name)).to.deep.equal(['tensorflow']);
    expect(report.skipped[0]!.reason).to.match(/^ERR_MODULE_NOT_FOUND/);
    expect(tf.getBackend()).to.equal('wasm');
  });

  it('uses the preferred backend when it works', async () => {
    expect(await initBackend('cpu')).to.deep.equal({ name: 'cpu', tfjsNode: false, skipped: [] });
    expect(tf.getBackend()).to.equal('cpu');
  });
});
