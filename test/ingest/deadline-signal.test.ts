import { expect } from 'chai';
import { once } from 'node:events';
import { deadlineSignal } from '../../src/ingest/deadline-signal.js';

describe('deadlineSignal', () => {
  it('aborts with a TimeoutError when the time runs out', async () => {
    const d = deadlineSignal(5);
    await once(d.signal, 'abort');
    expect(d.timedOut).to.equal(true);
    expect((d.signal.reason as DOMException).name).to.equal('TimeoutError');
  });

  it('follows its parent and detaches from it on dispose', () => {
    const parent = new AbortController();
    const d = deadlineSignal(60_000, parent.signal);
    parent.abort(new Error('stop'));
    expect(d.signal.aborted).to.equal(true);
    expect(d.timedOut).to.equal(false);
    expect((d.signal.reason as Error).message).to.equal('stop');
    d.dispose();

    const other = new AbortController();
    const e = deadlineSignal(60_000, other.signal);
    e.dispose();
    other.abort();
    expect(e.signal.aborted).to.equal(false);
  });
});
