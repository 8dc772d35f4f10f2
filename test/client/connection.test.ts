import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Connection, SeatstreamClient, type ConnectionState } from '../../src/client/index.js';
import { FakeEventSource } from './fake-event-source.js';

/** The reconnect policy, with an EventSource the test drives and fake timers. */
describe('Connection', () => {
  let states: ConnectionState[];

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    FakeEventSource.reset();
    states = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function connection(options: Partial<ConstructorParameters<typeof Connection>[0]> = {}): Connection {
    let n = 0;
    const c = new Connection({
      url: () => `/events?n=${n++}`,
      EventSource: FakeEventSource,
      backoff: { baseMs: 1000, capMs: 8000, random: () => 0.5 },
      stableAfterMs: 5000,
      watchNetwork: false,
      ...options,
    });
    c.on('state', (s) => states.push(s));
    return c;
  }

  it('reconnects after any break with capped exponential backoff and full jitter; a healthy stream resets it', () => {
    const c = connection();
    c.open();
    const first = FakeEventSource.last();
    first.open();
    vi.advanceTimersByTime(5000); // healthy
    first.fail(); // the server ended the stream: the EventSource would wait for its retry hint
    expect(first.closed).toBe(true);
    expect(c.state).toEqual({ status: 'reconnecting', attempt: 1, delayMs: 500, retryAt: 1_005_000 + 500 });
    vi.advanceTimersByTime(499);
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances).toHaveLength(2);
    expect(FakeEventSource.last().url).toBe('/events?n=1'); // a fresh URL: the caller's resume position
    expect(c.state).toEqual({ status: 'connecting', attempt: 1 });
    FakeEventSource.last().fail(true); // CLOSED (an HTTP error)
    expect(c.state).toMatchObject({ status: 'reconnecting', attempt: 2, delayMs: 1000 });
    vi.advanceTimersByTime(1000);
    FakeEventSource.last().fail(); // refused: still CONNECTING for the EventSource, a failure for us
    expect(c.state).toMatchObject({ attempt: 3, delayMs: 2000 });
    vi.advanceTimersByTime(2000);
    FakeEventSource.last().fail(true);
    expect(c.state).toMatchObject({ attempt: 4, delayMs: 4000 });
    vi.advanceTimersByTime(4000);
    FakeEventSource.last().fail(true);
    expect(c.state).toMatchObject({ attempt: 5, delayMs: 4000 }); // capped: window 8000, half of it
    vi.advanceTimersByTime(4000);
    FakeEventSource.last().open();
    vi.advanceTimersByTime(5000); // healthy again: the count starts over
    FakeEventSource.last().fail(true);
    expect(c.state).toMatchObject({ attempt: 1, delayMs: 500 });
    expect(FakeEventSource.instances.slice(0, -1).every((es) => es.closed)).toBe(true);
  });

  it('backs off when a stream opens but breaks before it is healthy (a server that fails every stream)', () => {
    const c = connection();
    c.open();
    for (let attempt = 1; attempt <= 3; attempt++) {
      FakeEventSource.last().open();
      vi.advanceTimersByTime(100);
      FakeEventSource.last().fail();
      expect(c.state).toMatchObject({
        status: 'reconnecting',
        attempt,
        delayMs: Math.min(8000, 1000 * 2 ** (attempt - 1)) / 2,
      });
      vi.advanceTimersByTime(8000);
    }
    expect(FakeEventSource.instances).toHaveLength(4);
  });

  it('backs off after the server ends a stream with an error frame, even a healthy one', () => {
    const c = connection();
    const frames: string[] = [];
    c.on('frame', (f) => frames.push(f.type));
    c.open();
    FakeEventSource.last().open();
    vi.advanceTimersByTime(6000);
    FakeEventSource.last().send('error', { error: 'UNAVAILABLE', message: 'The seat store is unavailable' });
    FakeEventSource.last().fail();
    expect(frames).toEqual(['error']);
    expect(c.state).toMatchObject({ status: 'reconnecting', attempt: 1, delayMs: 500 });
    expect(FakeEventSource.last().closed).toBe(true);
  });

  it('with idleTimeoutMs, treats a stream that goes silent as broken (a cut without a FIN never errors)', () => {
    const c = connection({ idleTimeoutMs: 2500 });
    c.open();
    FakeEventSource.last().open();
    vi.advanceTimersByTime(2000);
    FakeEventSource.last().send('message', { isHeartbeat: true });
    vi.advanceTimersByTime(2000);
    expect(c.state.status).toBe('live');
    vi.advanceTimersByTime(500);
    expect(FakeEventSource.instances[0]!.closed).toBe(true);
    expect(c.state).toMatchObject({ status: 'reconnecting', attempt: 1 });
  });

  it('turns offline after maxRetries, and tries again on demand', () => {
    const c = connection({ maxRetries: 2 });
    c.open();
    FakeEventSource.last().fail(true);
    vi.advanceTimersByTime(1000);
    FakeEventSource.last().fail(true);
    vi.advanceTimersByTime(2000);
    FakeEventSource.last().fail(true);
    expect(c.state).toEqual({ status: 'offline', reason: 'retries-exhausted' });
    vi.advanceTimersByTime(60_000);
    expect(FakeEventSource.instances).toHaveLength(3);
    c.retryNow();
    expect(FakeEventSource.instances).toHaveLength(4);
    FakeEventSource.last().open();
    expect(c.state.status).toBe('live');
    c.close();
    expect(FakeEventSource.last().closed).toBe(true);
    expect(c.state).toEqual({ status: 'closed' });
    expect(states.map((s) => s.status)).toEqual([
      'connecting',
      'reconnecting',
      'connecting',
      'reconnecting',
      'connecting',
      'offline',
      'connecting',
      'live',
      'closed',
    ]);
  });
});

describe('SeatstreamClient over a driven EventSource', () => {
  beforeEach(() => FakeEventSource.reset());

  const snapshot = (scheduleId: number, n = 3) => ({
    scheduleId,
    seats: Array.from({ length: n }, (_, i) => ({ id: i + 1, row: 'A', number: i + 1, status: 'AVAILABLE' })),
  });
  const seatEvent = (scheduleId: number, seat: number, status: string) => ({
    scheduleId,
    scheduleSeatId: seat,
    status,
    timestamp: 't',
    isHeartbeat: false,
  });

  it('repairs a gap by reconnecting from the last applied id', () => {
    vi.useFakeTimers();
    try {
      const client = new SeatstreamClient({
        schedules: 7,
        EventSource: FakeEventSource,
        backoff: { baseMs: 10, random: () => 0 },
        watchNetwork: false,
      });
      const resyncs: unknown[] = [];
      client.on('resync', (r) => resyncs.push(r));
      client.connect();
      expect(FakeEventSource.last().url).toBe('/api/schedules/7/seats/events?snapshot=true&snapshotForm=compact');
      FakeEventSource.last().open();
      FakeEventSource.last().send('snapshot', snapshot(7), '4@e');
      FakeEventSource.last().send('message', seatEvent(7, 1, 'HELD'), '5@e');
      FakeEventSource.last().send('message', seatEvent(7, 2, 'HELD'), '7@e'); // 6 is missing
      expect(resyncs).toEqual([{ scheduleId: 7, reason: 'gap' }]);
      vi.advanceTimersByTime(1);
      expect(FakeEventSource.last().url).toBe('/api/schedules/7/seats/events?lastEventId=5%40e&snapshotForm=compact');
      expect(client.seat(2)!.status).toBe('AVAILABLE');
      FakeEventSource.last().send('message', seatEvent(7, 3, 'HELD'), '6@e');
      FakeEventSource.last().send('message', seatEvent(7, 2, 'HELD'), '7@e');
      expect([...client.seats().values()].map((s) => s.status)).toEqual(['HELD', 'HELD', 'HELD']);
      expect(client.stats).toMatchObject({ connections: 2, snapshots: 1, events: 3, resyncs: 1 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('on several schedules, resumes with a cursor of what it applied; schedules not yet loaded get a snapshot', () => {
    vi.useFakeTimers();
    try {
      const client = new SeatstreamClient({
        schedules: [1, 2, 3],
        EventSource: FakeEventSource,
        backoff: { baseMs: 10, random: () => 0 },
        watchNetwork: false,
      });
      client.connect();
      expect(FakeEventSource.last().url).toBe('/api/events?schedules=1,2,3&snapshot=true&snapshotForm=compact');
      FakeEventSource.last().open();
      FakeEventSource.last().send('snapshot', snapshot(1), '2@e');
      FakeEventSource.last().send('snapshot', snapshot(2), '0@e');
      FakeEventSource.last().send('message', seatEvent(2, 3, 'RESERVED'), '1@e');
      FakeEventSource.last().send('message', { scheduleSeatId: -1, status: null, timestamp: 't', isHeartbeat: true });
      FakeEventSource.last().fail(true);
      vi.advanceTimersByTime(1);
      expect(decodeURIComponent(FakeEventSource.last().url)).toBe(
        '/api/events?schedules=1,2,3&lastEventId=1:2@e,2:1@e&snapshotForm=compact',
      );
      expect(client.seat(3, 2)!.status).toBe('RESERVED');
      expect(client.stats).toMatchObject({ heartbeats: 1, events: 1, snapshots: 2 });
    } finally {
      vi.useRealTimers();
    }
  });
});
