import { describe, expect, it } from 'vitest';
import { cursorFrame, heartbeatFrame, retryFrame, withRetry } from '../../src/protocol/sse-frames.js';

const AT = new Date('2026-11-22T12:00:00Z');

describe('retry hints ride on blocks with data', () => {
  it('puts `retry:` in the first block that carries data, wherever it is', () => {
    expect(withRetry('id: 1@e\ndata: {}\n\n', 500)).toBe('retry: 500\nid: 1@e\ndata: {}\n\n');
    // A comment heartbeat first: the hint goes to the data block after it.
    expect(withRetry(heartbeatFrame('both', AT), 500)).toBe(`: heartbeat\n\nretry: 500\n${heartbeatFrame('data', AT)}`);
    expect(withRetry(`${heartbeatFrame('comment', AT)}${cursorFrame('1:2@e')}`, 1_000.4)).toBe(
      `: heartbeat\n\nretry: 1000\n${cursorFrame('1:2@e')}`,
    );
  });

  it('waits for a later frame when none carries data', () => {
    expect(withRetry(heartbeatFrame('comment', AT), 500)).toBeUndefined();
    expect(withRetry('', 500)).toBeUndefined();
  });

  it('ends a stream with the hint on a data heartbeat', () => {
    expect(retryFrame(250.6, AT)).toBe(`retry: 251\n${heartbeatFrame('data', AT)}`);
  });
});
