import { describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/backends/memory/local-bus.js';
import type { EventBus, History } from '../../src/bus/event-bus.js';
import type { FrameCodec } from '../../src/hub/frame-codec.js';
import { TopicHub } from '../../src/hub/topic-hub.js';
import type { EventId } from '../../src/protocol/event-id.js';

const codec: FrameCodec = {
  event: (e) => `E${e.offset};`,
  snapshot: (_topic, s) => `S${s.id.offset};`,
  heartbeat: () => 'H;',
  cursor: (token) => `C${token};`,
};

/** A LocalBus whose history reads answer when the test says, with what is there at that moment. */
class GatedBus extends LocalBus {
  private pending: Array<() => void> = [];

  override readAfter(topic: string, after: EventId): Promise<History> {
    return new Promise((resolve) => this.pending.push(() => resolve(super.readAfter(topic, after))));
  }

  answer(): void {
    for (const release of this.pending.splice(0)) release();
  }
}

function subscribe(hub: TopicHub, after: EventId | 'live') {
  const received: string[] = [];
  hub.stream({ topics: [{ topic: 't', label: 't', after }], lifetimeMs: 60_000 }).subscribe((b) => {
    received.push(b.toString());
  });
  return received;
}

describe('a resuming subscriber at the resume boundary', () => {
  it('gets only the unsent rest of a live chunk that overlaps its history, each event once, in order', async () => {
    const bus = new GatedBus(100, 'e');
    const snapshot = async () => ({ id: { offset: 0, epoch: 'e' }, data: '{}' });
    const hub = new TopicHub({ bus: bus as EventBus, codec, snapshot, heartbeatMs: 3_600_000 });
    for (let i = 0; i < 2; i++) bus.appendNow('t', '{}');
    const resuming = subscribe(hub, { offset: 1, epoch: 'e' }); // has event 1; its history read is pending
    const live = subscribe(hub, 'live');
    // Events 3 and 4 are appended in one tick, so they travel as one chunk [3, 4]; the history read
    // answers between them (events 2 and 3), so the chunk straddles the resume boundary.
    bus.appendNow('t', '{}');
    bus.answer();
    bus.appendNow('t', '{}');
    await new Promise((resolve) => setImmediate(resolve));
    // The sentinel: event 5, after the boundary, reaches both subscribers.
    bus.appendNow('t', '{}');
    await new Promise((resolve) => setImmediate(resolve));
    expect(resuming.join('')).toBe('E2;E3;E4;E5;');
    expect(live.join('')).toBe('E3;E4;E5;');
    hub.closeStreams();
  });
});
