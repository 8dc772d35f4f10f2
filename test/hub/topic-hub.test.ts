import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalBus } from '../../src/backends/memory/local-bus.js';
import type { FrameCodec, Snapshot, SnapshotForm } from '../../src/hub/frame-codec.js';
import { TopicHub } from '../../src/hub/topic-hub.js';

const codec: FrameCodec = {
  event: (e) => `E${e.offset};`,
  snapshot: (_topic, s) => `S${s.id.offset};`,
  heartbeat: () => 'H;',
  cursor: (token) => `C${token};`,
};

describe('TopicHub', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function open(hub: TopicHub, count: number, lifetimeMs = 3_600_000) {
    return Array.from({ length: count }, () => {
      const received: string[] = [];
      const state = { received, completed: false };
      hub
        .stream({ topics: [{ topic: 't', label: 't', after: 'live' }], lifetimeMs })
        .subscribe({ next: (b) => received.push(b.toString()), complete: () => (state.completed = true) });
      return state;
    });
  }

  it('spreads heartbeats over the interval: each connection gets one per heartbeatMs, not all at once', async () => {
    const hub = new TopicHub({
      bus: new LocalBus(),
      codec,
      snapshot: async () => ({ id: { offset: 0, epoch: 'e' }, data: '{}' }),
      heartbeatMs: 3_000,
    });
    const connections = open(hub, 6);
    const beats = () => connections.map((c) => c.received.filter((r) => r === 'H;').length);
    await vi.advanceTimersByTimeAsync(350);
    expect(beats()).toEqual([1, 1, 1, 0, 0, 0]); // a slot per 100 ms tick, one connection in each
    await vi.advanceTimersByTimeAsync(2_650);
    expect(beats()).toEqual([1, 1, 1, 1, 1, 1]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(beats()).toEqual([2, 2, 2, 2, 2, 2]);
    hub.closeStreams();
    expect(connections.every((c) => c.completed)).toBe(true);
  });

  it('encodes what resuming subscribers missed once per range, not once per subscriber', async () => {
    let encoded = 0;
    const counting: FrameCodec = {
      ...codec,
      event: (e) => {
        encoded++;
        return codec.event(e);
      },
    };
    const bus = new LocalBus(100, 'e');
    const hub = new TopicHub({ bus, codec: counting, snapshot: async () => undefined, heartbeatMs: 3_600_000 });
    const resume = (offset: number) => {
      const received: string[] = [];
      hub
        .stream({ topics: [{ topic: 't', label: 't', after: { offset, epoch: 'e' } }], lifetimeMs: 3_600_000 })
        .subscribe((b) => received.push(b.toString()));
      return received;
    };
    for (let i = 0; i < 5; i++) bus.appendNow('t', '{}');
    // A storm: 100 clients come back from event 1, one from event 3.
    const storm = Array.from({ length: 100 }, () => resume(1));
    const other = resume(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(storm.every((r) => r.join('') === 'E2;E3;E4;E5;')).toBe(true);
    expect(other.join('')).toBe('E4;E5;');
    expect(encoded).toBe(4 + 2);
    // A live event moves the head on: a client resuming from event 1 now gets it too (sentinel).
    bus.appendNow('t', '{}');
    await vi.advanceTimersByTimeAsync(1);
    const late = resume(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(late.join('')).toBe('E2;E3;E4;E5;E6;');
    expect(storm.every((r) => r.join('') === 'E2;E3;E4;E5;E6;')).toBe(true);
    hub.closeStreams();
  });

  it('ends each stream at its lifetime, to the next second, and closes the topic with the last one', async () => {
    const hub = new TopicHub({
      bus: new LocalBus(),
      codec,
      snapshot: async () => ({ id: { offset: 0, epoch: 'e' }, data: '{}' }),
      heartbeatMs: 30_000,
    });
    const [short] = open(hub, 1, 1_500);
    const [long] = open(hub, 1, 5_000);
    expect(hub.topicCount).toBe(1);
    await vi.advanceTimersByTimeAsync(1_400);
    expect(short!.completed).toBe(false);
    await vi.advanceTimersByTimeAsync(1_700);
    expect(short!.completed).toBe(true);
    expect(long!.completed).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(long!.completed).toBe(true);
    expect(hub.topicCount).toBe(0);
  });
  it('asks the source for the form of snapshot a connection wants, at the start and for a stale position', async () => {
    const asked: SnapshotForm[] = [];
    const snapshots = new Map<SnapshotForm, Snapshot>([
      ['full', { id: { offset: 0, epoch: 'e' }, data: 'full' }],
      ['compact', { id: { offset: 0, epoch: 'e' }, data: 'compact' }],
    ]);
    const encoded: string[] = [];
    const hub = new TopicHub({
      bus: new LocalBus(),
      codec: {
        ...codec,
        snapshot: (_topic, s) => {
          encoded.push(String(s.data));
          return `S${s.data};`;
        },
      },
      snapshot: async (_topic, form) => {
        asked.push(form);
        return snapshots.get(form);
      },
      heartbeatMs: 30_000,
    });
    const received: string[][] = [];
    const starts: Array<['snapshot' | { offset: number; epoch: string }, SnapshotForm | undefined]> = [
      ['snapshot', undefined],
      ['snapshot', 'compact'],
      [{ offset: 5, epoch: 'gone' }, 'compact'],
      ['snapshot', 'full'],
    ];
    for (const [after, snapshotForm] of starts) {
      const bytes: string[] = [];
      received.push(bytes);
      hub
        .stream({
          topics: [{ topic: 't', label: 't', after }],
          lifetimeMs: 60_000,
          ...(snapshotForm && { snapshotForm }),
        })
        .subscribe((b) => bytes.push(b.toString()));
    }
    await vi.advanceTimersByTimeAsync(0);
    expect(asked.sort()).toEqual(['compact', 'compact', 'full', 'full']); // the stale one reads history first
    expect(received).toEqual([['Sfull;'], ['Scompact;'], ['Scompact;'], ['Sfull;']]);
    expect(encoded).toEqual(['full', 'compact']); // each form's frame made once, shared
    hub.closeStreams();
  });
});
