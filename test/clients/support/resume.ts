import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, hold, newGuest, startServer, type Guest, type TestServer } from '../../support/server.js';

/**
 * Third-party SSE clients following seat streams across server-ended streams: each reconnects
 * the way its documentation says, with the `Last-Event-ID` it recorded itself, and must resume
 * with no gap, no duplicate and no snapshot.
 */

/** One dispatched block as the client library hands it over: its name, its own id, its data. */
export interface Received {
  event: string;
  id: string | undefined;
  data: string;
}

/** Starts following `url` with the client under test, its requests going through `fetch`. */
export type Follow = (url: string, fetch: typeof globalThis.fetch, onEvent: (received: Received) => void) => Closable;

export interface Closable {
  close(): void;
}

/** A request the client made: the URL and the Last-Event-ID it sent. */
export interface SentRequest {
  url: string;
  lastEventId: string | null;
}

/**
 * The client's fetch: records each request and, while shut, parks it until `open()`. A reconnect
 * parked here lets the test make events the client must miss, without a sleep.
 */
export class Gate {
  readonly requests: SentRequest[] = [];
  private shut: Promise<void> | undefined;
  private release: (() => void) | undefined;

  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    this.requests.push({ url, lastEventId: new Headers(init?.headers).get('last-event-id') });
    if (this.shut) await this.shut;
    return globalThis.fetch(input, init);
  };

  close(): void {
    this.shut ??= new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.shut = this.release = undefined;
  }
}

const ADMIN = 'test-admin-token-for-clients';
const ROUNDS = 3;

interface Route {
  name: string;
  schedules: number[];
  /** The first connection's URL (path and query), asking for snapshots. */
  path: string;
  /** Whether reconnects carry a cursor (`1:42@k3x9,…`) rather than a plain event id. */
  cursor: boolean;
}

export const ROUTES: Route[] = [
  {
    name: 'GET /api/schedules/1/seats/events',
    schedules: [1],
    path: '/api/schedules/1/seats/events?snapshot=true',
    cursor: false,
  },
  { name: 'GET /api/events?schedules=1', schedules: [1], path: '/api/events?schedules=1&snapshot=true', cursor: true },
  {
    name: 'GET /api/events?schedules=1,2',
    schedules: [1, 2],
    path: '/api/events?schedules=1,2&snapshot=true',
    cursor: true,
  },
];

/** A cursor's parts in schedule order (the server writes them in the order it learnt them). */
function sorted(token: string | null): string | null {
  return token === null ? null : token.split(',').sort().join(',');
}

function offsetOf(id: string): number {
  return Number(id.split('@')[0]);
}

function epochOf(id: string): string {
  return id.split('@')[1]!;
}

/** The tests every client runs, one per route. */
export function describeResume(client: string, follow: Follow, routes: readonly Route[] = ROUTES): void {
  describe(`${client} resumes seat streams the server ends`, () => {
    let server: TestServer;
    let guest: Guest;
    let follower: Closable | undefined;

    beforeEach(async () => {
      // A short retry hint: every client here waits it before reconnecting.
      server = await startServer({ adminToken: ADMIN, sseRetryMs: 50, maxHoldPerUser: 0 });
      const created = await fetch(`${server.url}/api/schedules/2`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: 2, seatsPerRow: 10 }),
      });
      expect(created.status).toBe(201);
      guest = await newGuest(server.url);
    });
    afterEach(async () => {
      follower?.close();
      follower = undefined;
      await server.close();
    });

    it.each(routes)('$name: no gap, no duplicate, no snapshot after the first connect', async (route) => {
      const gate = new Gate();
      const received: Received[] = [];
      /** Index in `received` at which each connection after the first started. */
      const reconnectedAt: number[] = [];
      follower = follow(server.url + route.path, gate.fetch, (r) => received.push(r));

      const seatEvents = () =>
        received
          .filter((r) => r.event === 'message')
          .map((r) => ({ id: r.id, ...JSON.parse(r.data) }))
          .filter((e) => !e.isHeartbeat) as Array<{ id: string; scheduleId: number; scheduleSeatId: number }>;
      // Ids are per schedule (two schedules share the epoch and count from 1): an event is both.
      const has = ([scheduleId, eventId]: readonly [number, string]) =>
        seatEvents().some((e) => e.scheduleId === scheduleId && e.id === eventId);
      const lastOf = (scheduleId: number) => {
        const ids = received
          .filter((r) => r.event === 'snapshot' || r.event === 'message')
          .filter((r) => JSON.parse(r.data).scheduleId === scheduleId)
          .map((r) => r.id!);
        return ids.at(-1)!;
      };

      const lateSnapshots = () =>
        received
          .slice(reconnectedAt[0] ?? received.length)
          .filter((r) => r.event === 'snapshot')
          .map((r) => `${JSON.parse(r.data).scheduleId} at ${r.id}`);
      await eventually(() =>
        expect(received.filter((r) => r.event === 'snapshot')).toHaveLength(route.schedules.length),
      );
      const made = new Map<number, string[]>(route.schedules.map((id) => [id, []]));
      const nextSeat = new Map<number, number>(route.schedules.map((id) => [id, 1]));
      const holdNext = async (scheduleId: number) => {
        const seat = nextSeat.get(scheduleId)!;
        nextSeat.set(scheduleId, seat + 1);
        const answer = await hold(server.url, guest, [seat], scheduleId);
        expect(answer.status).toBe(200);
        made.get(scheduleId)!.push(answer.body.eventId);
        return [scheduleId, answer.body.eventId as string] as const;
      };

      const expectedResume: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Live: the client receives them on the open stream.
        const live: Array<readonly [number, string]> = [];
        for (const id of route.schedules) live.push(await holdNext(id));
        // A snapshot instead of a resume would swallow them: stop waiting and say so.
        await eventually(() => expect(live.every(has) || lateSnapshots().length > 0).toBe(true));
        expect(lateSnapshots(), 'snapshots after a reconnect').toEqual([]);
        // What the client must send back: its position when the stream ends.
        expectedResume.push(
          route.cursor
            ? sorted(route.schedules.map((id) => `${id}:${lastOf(id)}`).join(','))!
            : lastOf(route.schedules[0]!),
        );
        // The server ends the stream; the client's reconnect is parked while events are made.
        gate.close();
        const before = gate.requests.length;
        server.app.seatstream.hub.closeStreams();
        await eventually(() => expect(gate.requests.length).toBe(before + 1));
        for (const id of route.schedules) for (let i = 0; i < 2; i++) await holdNext(id);
        reconnectedAt.push(received.length);
        gate.open();
      }
      // Sentinels: once each arrived, every earlier event of its schedule has arrived (or never will).
      const sentinels: Array<readonly [number, string]> = [];
      for (const id of route.schedules) sentinels.push(await holdNext(id));
      await eventually(() => expect(sentinels.every(has) || lateSnapshots().length > 0).toBe(true));
      expect(lateSnapshots(), 'snapshots after a reconnect').toEqual([]);

      expect(gate.requests).toHaveLength(1 + ROUNDS);
      expect(gate.requests.slice(1).map((r) => sorted(r.lastEventId))).toEqual(expectedResume);
      const snapshots = received.map((r, i) => [r.event, i] as const).filter(([event]) => event === 'snapshot');
      expect(snapshots).toHaveLength(route.schedules.length);
      expect(snapshots.every(([, i]) => i < reconnectedAt[0]!)).toBe(true);
      for (const scheduleId of route.schedules) {
        const snapshot = received.find((r) => r.event === 'snapshot' && JSON.parse(r.data).scheduleId === scheduleId)!;
        const ids = seatEvents()
          .filter((e) => e.scheduleId === scheduleId)
          .map((e) => e.id);
        const start = offsetOf(snapshot.id!);
        const epoch = epochOf(snapshot.id!);
        // Contiguous offsets from the snapshot's, once each, exactly the events made.
        expect(ids).toEqual(ids.map((_, i) => `${start + 1 + i}@${epoch}`));
        expect(ids).toEqual(made.get(scheduleId));
      }
    });
  });
}
