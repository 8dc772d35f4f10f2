import { createServer, type Server } from 'node:http';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig, type Config } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import {
  ApiError,
  apiErrorOf,
  NetworkError,
  SeatApi,
  SeatstreamClient,
  type ConnectionState,
  type SeatstreamClientOptions,
} from '../../src/client/index.js';
import { userTopic } from '../../src/hub/user-topic.js';
import { freePort } from '../support/redis-server.js';
import {
  eventually,
  get,
  hold,
  newGuest,
  post,
  postWithToken,
  release,
  startServer,
  subscribed,
  type Guest,
  type TestServer,
} from '../support/server.js';

/** The client in Node (the `eventsource` package) against the real server. */
const ADMIN = 'admin-token-for-client-tests';
let servers: Array<{ close(): Promise<void> }> = [];
let clients: SeatstreamClient[] = [];

afterEach(async () => {
  clients.forEach((c) => {
    c.close();
  });
  clients = [];
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function server(overrides: Partial<Config> = {}): Promise<TestServer> {
  const started = await startServer({ adminToken: ADMIN, ...overrides });
  servers.push(started);
  return started;
}

function client(
  url: string,
  options: Partial<SeatstreamClientOptions> = {},
): SeatstreamClient & { states: ConnectionState[] } {
  const c = new SeatstreamClient({ schedules: 1, baseUrl: url, EventSource, ...options }) as SeatstreamClient & {
    states: ConnectionState[];
  };
  c.states = [];
  c.on('state', (s) => c.states.push(s));
  clients.push(c);
  return c;
}

/** A guest's checkout through the demo route (reserving is no longer a buyer's call of the API). */
async function checkout(url: string, guest: Guest, seatIds: number[], scheduleId = 1): Promise<void> {
  const response = await post(url, `/api/demo/schedules/${scheduleId}/checkout`, { seatIds }, guest);
  expect(response.status).toBe(200);
}

async function createSchedule(url: string, id: number, rows: number, seatsPerRow: number): Promise<void> {
  const response = await fetch(`${url}/api/schedules/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rows, seatsPerRow }),
  });
  expect(response.status).toBe(201);
}

/** A plain HTTP server (the operator's site) answering JSON from `handle`; closed after the test. */
async function listen(
  handle: (request: import('node:http').IncomingMessage, body: unknown) => Promise<{ status: number; body: unknown }>,
): Promise<{ url: string }> {
  const httpServer: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      handle(request, text ? JSON.parse(text) : undefined).then(
        ({ status, body }) =>
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => new Promise<void>((resolve) => httpServer.close(() => resolve())) });
  const { port } = httpServer.address() as import('node:net').AddressInfo;
  return { url: `http://127.0.0.1:${port}` };
}

/** The client's map as `[id, status]`, to compare with `GET …/seats`. */
function statuses(c: SeatstreamClient, scheduleId?: number): Array<[number, string]> {
  return [...c.seats(scheduleId).values()].map((s) => [s.id, s.status]);
}

async function serverStatuses(url: string, scheduleId = 1): Promise<Array<[number, string]>> {
  return ((await get(url, `/api/schedules/${scheduleId}/seats`)).body as Array<{ id: number; status: string }>).map(
    (s) => [s.id, s.status],
  );
}

describe('SeatstreamClient against the real server', () => {
  it('builds the map from a snapshot; it stays equal to the server while others hold, release, reserve', async () => {
    const s = await server({ maxHoldPerUser: 0 });
    const c = client(s.url);
    const events: string[] = [];
    c.on('event', (e) => events.push(e.eventId));
    c.connect();
    await eventually(() => expect(c.loaded()).toBe(true));
    expect(c.state.status).toBe('live');
    const guests = await Promise.all([1, 2, 3].map(() => newGuest(s.url)));
    await Promise.all(guests.map((g, i) => hold(s.url, g, [i * 10 + 1, i * 10 + 2, i * 10 + 3])));
    await release(s.url, guests[0]!, [2]);
    await checkout(s.url, guests[1]!, [11, 12]);
    await hold(s.url, guests[2]!, [200]);
    const expected = await serverStatuses(s.url);
    await eventually(() => expect(statuses(c)).toEqual(expected));
    expect(events.map((id) => Number(id.split('@')[0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(c.lastEventId()).toBe((await get(s.url, '/api/schedules/1/seats')).headers.get('last-event-id'));
    expect(c.stats).toMatchObject({ connections: 1, snapshots: 1, events: 13, duplicates: 0 });
  });

  it('holds, releases and checks out with typed results; my seats show at once and stay mine', async () => {
    const s = await server();
    const c = client(s.url);
    const seatChanges: string[] = [];
    c.on('seat', (e) => seatChanges.push(`${e.seat.id}:${e.seat.status}:${e.seat.mine ? 'mine' : ''}:${e.source}`));
    const session = await c.startSession();
    expect(session.userId).toMatch(/^guest-/);
    c.connect();
    await eventually(() => expect(c.loaded()).toBe(true));
    const held = await c.hold([5, 6]);
    expect(held).toMatchObject({
      scheduleId: 1,
      status: 'HELD',
      events: 2,
      seats: [
        { id: 5, mine: true },
        { id: 6, mine: true },
      ],
    });
    expect(typeof held.expiresAt).toBe('string');
    // Applied from the answer, before the stream's events arrive.
    expect(c.seat(5)).toMatchObject({ status: 'HELD', mine: true, expiresAt: Date.parse(held.expiresAt!) });
    expect(c.myHolds().map((seat) => seat.id)).toEqual([5, 6]);
    await eventually(() => expect(c.lastEventId()).toBe(held.eventId));
    expect(c.seat(5)!.mine).toBe(true); // the stream's (older-looking) HELD events did not undo "mine"
    const reserved = await c.checkout([5]);
    expect(reserved).toMatchObject({ status: 'RESERVED', seats: [{ id: 5, status: 'RESERVED', mine: true }] });
    const released = await c.release([6]);
    expect(released).toMatchObject({ status: 'AVAILABLE', seats: [{ id: 6, status: 'AVAILABLE' }] });
    await eventually(() => expect(c.lastEventId()).toBe(released.eventId));
    expect([c.seat(5), c.seat(6)].map((seat) => [seat!.status, seat!.mine])).toEqual([
      ['RESERVED', true],
      ['AVAILABLE', false],
    ]);
    expect(seatChanges).toEqual([
      '5:HELD:mine:response',
      '6:HELD:mine:response',
      '5:RESERVED:mine:response',
      '6:AVAILABLE::response',
    ]);
    // The server agrees that the reserved seat is mine: a sync changes nothing.
    await c.syncMine();
    expect(c.seat(5)).toMatchObject({ status: 'RESERVED', mine: true });
    expect(seatChanges).toHaveLength(4);
  });

  it('throws typed errors from the API bodies and status codes', async () => {
    const s = await server();
    const c = client(s.url);
    await c.startSession();
    const other = await newGuest(s.url);
    await hold(s.url, other, [7]);
    const error = await c.hold([7, 8]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 409,
      code: 'SEATS_UNAVAILABLE',
      seatIds: [7],
      conflict: true,
      retryable: false,
    });
    await expect(c.release([7])).rejects.toMatchObject({ status: 403, code: 'NOT_YOUR_HOLD', seatIds: [7] });
    await expect(c.checkout([9])).rejects.toMatchObject({ status: 409, code: 'NOT_HELD', seatIds: [9] });
    await expect(c.hold([999])).rejects.toMatchObject({ status: 404, code: 'SEAT_NOT_FOUND' });
    await expect(c.hold([])).rejects.toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    // A schedule the client does not follow can still be called; this one does not exist.
    await expect(c.hold([1], 42)).rejects.toMatchObject({ status: 404, code: 'SCHEDULE_NOT_FOUND' });
    await expect(new SeatApi({ baseUrl: s.url, autoSession: false }).hold(1, [1])).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
    });
    await expect(
      new SeatApi({ baseUrl: s.url, token: 'forged.1.x', autoSession: false }).hold(1, [1]),
    ).rejects.toMatchObject({ status: 401 });
    const down = new SeatApi({ baseUrl: `http://127.0.0.1:${await freePort()}` });
    await expect(down.seats(1)).rejects.toBeInstanceOf(NetworkError);
  });

  it("checks out through an operator's endpoint (checkoutPath): seats are mine though it does not say", async () => {
    const s = await server();
    // The operator's checkout: it knows its buyers (here: by token), takes payment, then calls the
    // service's reserve and passes the service's answer on (seats name a holder, not `mine`).
    const buyers = new Map<string, string>();
    const calls: string[] = [];
    const operator = await listen(async (request, body) => {
      const scheduleId = Number(/^\/shop\/(\d+)\/checkout$/.exec(request.url ?? '')?.[1]);
      const userId = buyers.get(request.headers.authorization ?? '');
      calls.push(`${request.method} ${request.url} ${userId}`);
      if (!userId) return { status: 401, body: { error: 'UNAUTHORIZED', message: 'who are you?' } };
      const reserved = await post(
        s.url,
        `/api/schedules/${scheduleId}/seats/reserve`,
        {
          ...(body as object),
          userId,
          orderId: `order-${calls.length}`,
        },
        { userId: 'service', token: ADMIN },
      );
      return { status: reserved.status, body: reserved.body };
    });
    const c = client(s.url, { checkoutPath: (id) => `${operator.url}/shop/${id}/checkout` });
    const session = await c.startSession();
    buyers.set(`Bearer ${session.token}`, session.userId);
    c.connect();
    await eventually(() => expect(c.loaded()).toBe(true));
    await c.hold([8, 9]);
    const result = await c.checkout([8, 9]);
    expect(calls).toEqual([`POST /shop/1/checkout ${session.userId}`]);
    expect(result).toMatchObject({ status: 'RESERVED', events: 2 });
    expect(result.seats.map((seat) => [seat.id, seat.mine, (seat as { holder?: string }).holder])).toEqual([
      [8, undefined, session.userId],
      [9, undefined, session.userId],
    ]);
    expect([c.seat(8), c.seat(9)].map((seat) => [seat!.status, seat!.mine])).toEqual([
      ['RESERVED', true],
      ['RESERVED', true],
    ]);
    await eventually(() => expect(c.lastEventId()).toBe(result.eventId));
    expect(c.seat(9)!.mine).toBe(true);
    // The endpoint's refusals are ApiErrors too.
    await expect(c.checkout([10])).rejects.toMatchObject({ status: 409, code: 'NOT_HELD', seatIds: [10] });
  });

  it("a buyer's token on the service's reserve is refused: ApiError 403 FORBIDDEN", async () => {
    const s = await server();
    const c = client(s.url);
    const session = await c.startSession();
    await c.hold([4]);
    const response = await fetch(`${s.url}/api/schedules/1/seats/reserve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ seatIds: [4], userId: session.userId, orderId: 'mine-by-myself' }),
    });
    const error = apiErrorOf(response.status, await response.text(), response.headers);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: 'FORBIDDEN', conflict: false, retryable: false });
    expect((await serverStatuses(s.url))[3]).toEqual([4, 'HELD']);
  });

  it('a seat I released cannot be held again during the cool-down: HOLD_COOLDOWN with retryAfter', async () => {
    const s = await server({ holdCooldownMs: 60_000 });
    const c = client(s.url);
    await c.startSession();
    await c.hold([4, 5]);
    await c.release([4]);
    const error = await c.hold([4]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'HOLD_COOLDOWN', seatIds: [4], conflict: true, retryable: false });
    const { retryAfter } = error as ApiError;
    expect(retryAfter).toBeGreaterThan(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Only that seat, only for me.
    await expect(c.hold([6])).resolves.toMatchObject({ status: 'HELD' });
    expect((await hold(s.url, await newGuest(s.url), [4])).status).toBe(200);
  });

  it('too many requests: ApiError 429 RATE_LIMITED, retryable after retryAfter seconds', async () => {
    const s = await server({ rateLimits: true, mutationsPerUserPerMinute: 2 });
    const c = client(s.url);
    await c.startSession();
    await c.hold([1]);
    await c.hold([2]);
    const error = await c.hold([3]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryable: true, conflict: false });
    expect((error as ApiError).retryAfter).toBeGreaterThan(0);
    expect((error as ApiError).retryAfter).toBeLessThanOrEqual(60);
  });

  it('logout: the old token is refused with 401; my seats are no longer mine; the next call starts anew', async () => {
    const s = await server();
    const c = client(s.url);
    const first = await c.startSession();
    c.connect();
    await eventually(() => expect(c.loaded()).toBe(true));
    await c.hold([6]);
    const changes: string[] = [];
    c.on('seat', (e) => changes.push(`${e.seat.id}:${e.seat.status}:${e.seat.mine ? 'mine' : ''}:${e.source}`));
    await c.logout();
    expect(c.api.token).toBeUndefined();
    expect(c.seat(6)).toMatchObject({ status: 'HELD', mine: false });
    expect(changes).toEqual(['6:HELD::sync']);
    const old = new SeatApi({ baseUrl: s.url, token: first.token, autoSession: false });
    await expect(old.release(1, [6])).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect((await release(s.url, first, [6])).status).toBe(401);
    // A new guest: seat 6 is someone else's now.
    await c.hold([7]);
    expect(c.api.token).toBeDefined();
    expect(c.api.token).not.toBe(first.token);
    await expect(c.release([6])).rejects.toMatchObject({ status: 403, code: 'NOT_YOUR_HOLD' });
    expect(c.seat(7)!.mine).toBe(true);
  });

  it('starts a session by itself on a 401 and marks the seats of that session', async () => {
    const s = await server();
    const c = client(s.url);
    c.connect();
    await eventually(() => expect(c.loaded()).toBe(true));
    const result = await c.hold([3]);
    expect(c.api.token).toBeDefined();
    expect(result.seats[0]).toMatchObject({ id: 3, mine: true });
    expect(c.seat(3)!.mine).toBe(true);
  });

  it('learns which seats are mine after a snapshot, from GET …/seats with its token', async () => {
    const s = await server();
    const me = await newGuest(s.url);
    await hold(s.url, me, [1, 2]);
    await checkout(s.url, me, [2]);
    await hold(s.url, await newGuest(s.url), [3]);
    const c = client(s.url, { token: me.token });
    c.connect();
    await eventually(() => expect([1, 2, 3].map((id) => c.seat(id)?.mine)).toEqual([true, true, false]));
    expect(c.myHolds().map((seat) => seat.id)).toEqual([1]);
    expect(c.seat(1)!.expiresAt).toBeGreaterThan(Date.now());
  });

  it('delivers heartbeats', async () => {
    const s = await server({ heartbeatMs: 100 });
    const c = client(s.url);
    const beats: string[] = [];
    c.on('heartbeat', (h) => beats.push(h.timestamp));
    c.connect();
    await eventually(() => expect(beats.length).toBeGreaterThanOrEqual(2));
    expect(Number.isNaN(Date.parse(beats[0]!))).toBe(false);
  });

  it('resumes after the server ends the stream: reconnects from its last id, no snapshot, no duplicate', async () => {
    const s = await server({ sseMaxLifetimeMs: 1000 });
    // A fixed draw (270 ms): a random one near 0 left the 'reconnecting' state too briefly to be seen.
    const c = client(s.url, { backoff: { baseMs: 300, random: () => 0.9 } });
    c.connect();
    await eventually(() => expect(c.loaded()).toBe(true));
    const guest = await newGuest(s.url);
    await hold(s.url, guest, [1]);
    await eventually(() => expect(c.state.status).toBe('reconnecting'), 3000);
    // Changes while no stream is open come with the resumed stream.
    await hold(s.url, guest, [2]);
    await release(s.url, guest, [1]);
    await eventually(() => expect(c.state.status).toBe('live'), 3000);
    await hold(s.url, guest, [3]);
    const expected = await serverStatuses(s.url);
    await eventually(() => expect(statuses(c)).toEqual(expected));
    expect(c.stats).toMatchObject({ snapshots: 1, events: 4, duplicates: 0, connections: 2 });
    const reconnecting = c.states.find((st) => st.status === 'reconnecting')!;
    expect(reconnecting).toMatchObject({ attempt: 1, delayMs: expect.any(Number) });
    if (reconnecting.status === 'reconnecting') expect(reconnecting.delayMs).toBeLessThan(300);
  });

  it('follows several schedules on one connection and resumes them from a cursor', async () => {
    const s = await server({ sseMaxLifetimeMs: 1000 });
    await createSchedule(s.url, 2, 2, 5);
    await createSchedule(s.url, 3, 1, 4);
    const c = client(s.url, { schedules: [1, 2, 3], backoff: { baseMs: 200 } });
    const snapshots: number[] = [];
    c.on('snapshot', (e) => snapshots.push(e.scheduleId));
    c.connect();
    await eventually(() => expect([1, 2, 3].every((id) => c.loaded(id))).toBe(true));
    const guest = await newGuest(s.url);
    await hold(s.url, guest, [1], 1);
    await hold(s.url, guest, [2, 3], 2);
    await eventually(() => expect(c.seat(3, 2)?.status).toBe('HELD'));
    await eventually(() => expect(c.stats.connections).toBe(2), 4000); // the stream ended; a new one resumed
    await hold(s.url, guest, [4], 3);
    await checkout(s.url, guest, [2], 2);
    for (const id of [1, 2, 3]) {
      const expected = await serverStatuses(s.url, id);
      await eventually(() => expect(statuses(c, id)).toEqual(expected));
    }
    expect(snapshots.sort()).toEqual([1, 2, 3]);
    expect(c.stats).toMatchObject({ duplicates: 0, events: 5 });
    expect(decodeURIComponent(c.streamUrl())).toMatch(/lastEventId=1:1@\w+,2:3@\w+,3:1@\w+&snapshotForm=compact$/);
  });

  it('when the EventSource gives up (404 until the schedule exists), retries with backoff, then loads it', async () => {
    const s = await server();
    const c = client(s.url, { schedules: 5, backoff: { baseMs: 100, capMs: 400, random: () => 0.5 } });
    c.connect();
    await eventually(
      () => expect(c.states.filter((st) => st.status === 'reconnecting').length).toBeGreaterThanOrEqual(4),
      4000,
    );
    const delays = c.states.flatMap((st) => (st.status === 'reconnecting' ? [[st.attempt, st.delayMs]] : []));
    expect(delays.slice(0, 4)).toEqual([
      [1, 50],
      [2, 100],
      [3, 200],
      [4, 200],
    ]);
    await createSchedule(s.url, 5, 1, 3);
    await eventually(() => expect(c.loaded()).toBe(true), 3000);
    expect(c.state.status).toBe('live');
    expect(c.seats().size).toBe(3);
  });

  it('turns offline after maxRetries; reconnect() tries again', async () => {
    const s = await server();
    const c = client(s.url, { schedules: 6, maxRetries: 1, backoff: { baseMs: 50 } });
    c.connect();
    await eventually(() => expect(c.state).toEqual({ status: 'offline', reason: 'retries-exhausted' }));
    await createSchedule(s.url, 6, 1, 1);
    c.reconnect();
    await eventually(() => expect(c.loaded()).toBe(true));
  });

  it('survives its server going away and coming back with a new history: snapshot of the new epoch', async () => {
    const port = await freePort();
    const config: Config = { ...defaultConfig, port, host: '127.0.0.1', logLevel: 'silent' };
    let app = await buildApp(config, { logger: false });
    await app.listen({ port, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${port}`;
    const c = client(url, { backoff: { baseMs: 100, capMs: 200 } });
    c.connect();
    await eventually(() => expect(c.loaded()).toBe(true));
    await hold(url, await newGuest(url), [1]);
    await eventually(() => expect(c.seat(1)!.status).toBe('HELD'));
    const before = c.lastEventId()!;
    await app.close();
    await eventually(() => expect(c.state.status).toBe('reconnecting'), 3000);
    app = await buildApp(config, { logger: false });
    servers.push(app);
    await app.listen({ port, host: '127.0.0.1' });
    await eventually(() => expect(c.stats.snapshots).toBe(2), 3000);
    expect(c.lastEventId()!.split('@')[1]).not.toBe(before.split('@')[1]);
    expect(c.seat(1)!.status).toBe('AVAILABLE'); // the new process's map, not the old one's
    expect(c.state.status).toBe('live');
  });
});

/** An EventSource that notes each URL it opens and the `data:` of each snapshot it receives. */
function recording(rewrite: (url: string) => string = (url) => url) {
  const seen = { urls: [] as string[], snapshots: [] as Array<Record<string, unknown>> };
  class Recording extends EventSource {
    constructor(url: string | URL, init?: ConstructorParameters<typeof EventSource>[1]) {
      super(rewrite(String(url)), init);
      seen.urls.push(rewrite(String(url)));
      this.addEventListener('snapshot', (event) => seen.snapshots.push(JSON.parse(event.data)));
    }
  }
  return { EventSource: Recording, seen };
}

describe('compact snapshots (?snapshotForm=compact)', () => {
  it('asks for them and applies them: the same snapshot event and seats as from the full form', async () => {
    const s = await server({ maxHoldPerUser: 0 });
    const guest = await newGuest(s.url);
    await hold(s.url, guest, [3, 4, 5, 150]);
    await checkout(s.url, guest, [4]);
    const compact = recording();
    // The same client against a server that ignores the ask (one from before the compact form).
    const full = recording((url) => url.replace('&snapshotForm=compact', ''));
    const snapshotEvents: Array<Array<Record<string, unknown>>> = [];
    for (const { EventSource } of [compact, full]) {
      const c = client(s.url, { EventSource });
      c.on('snapshot', (e) => snapshotEvents.push(e.seats as unknown as Array<Record<string, unknown>>));
      c.connect();
    }
    await eventually(() => expect(clients.every((c) => c.loaded())).toBe(true));
    expect(compact.seen.urls).toEqual([`${s.url}/api/schedules/1/seats/events?snapshot=true&snapshotForm=compact`]);
    expect(compact.seen.snapshots[0]).toMatchObject({ scheduleId: 1, form: 'compact' });
    expect(compact.seen.snapshots[0]).not.toHaveProperty('seats');
    expect(full.seen.snapshots[0]).toHaveProperty('seats');
    expect(snapshotEvents).toHaveLength(2);
    expect(snapshotEvents[0]).toHaveLength(200);
    expect(snapshotEvents[0]).toStrictEqual(snapshotEvents[1]);
    expect(snapshotEvents[0]![3]).toStrictEqual({
      id: 4,
      row: 'A',
      number: 4,
      status: 'RESERVED',
      mine: false,
      expiresAt: undefined,
    });
    const expected = await serverStatuses(s.url);
    for (const c of clients) expect(statuses(c)).toEqual(expected);
    // Live events go on from the compact snapshot's id.
    await hold(s.url, guest, [6]);
    await eventually(() => expect(clients.map((c) => c.seat(6)?.status)).toEqual(['HELD', 'HELD']));
  });

  it('on several schedules, and when a position can no longer resume, snapshots come compact too', async () => {
    const s = await server({ replayLimit: 2 });
    await createSchedule(s.url, 2, 3, 7);
    const { EventSource, seen } = recording();
    const c = client(s.url, { schedules: [1, 2], EventSource });
    c.connect();
    await eventually(() => expect(c.loaded(1) && c.loaded(2)).toBe(true));
    expect(seen.urls[0]).toBe(`${s.url}/api/events?schedules=1,2&snapshot=true&snapshotForm=compact`);
    expect(seen.snapshots.map((data) => [data.scheduleId, data.form])).toEqual(
      expect.arrayContaining([
        [1, 'compact'],
        [2, 'compact'],
      ]),
    );
    c.close();
    // More events on schedule 2 than the server keeps: its position can only start from a snapshot.
    const guest = await newGuest(s.url);
    await hold(s.url, guest, [1, 2, 3, 20, 21], 2);
    c.connect();
    await eventually(() => expect(c.stats.snapshots).toBe(3));
    expect(seen.urls[1]).toMatch(/lastEventId=.*&snapshotForm=compact$/);
    expect(seen.snapshots[2]).toMatchObject({ scheduleId: 2, form: 'compact' });
    for (const id of [1, 2]) expect(statuses(c, id)).toEqual(await serverStatuses(s.url, id));
    expect(c.seat(21, 2)).toMatchObject({ row: 'C', number: 7, status: 'HELD' });
  });
});

describe('a schedule the service deletes', () => {
  it('ends the client with a deleted event; it does not reconnect into 404s', async () => {
    const { url } = await server();
    const create = await fetch(`${url}/api/schedules/2`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: 1, seatsPerRow: 4 }),
    });
    expect(create.status).toBe(201);
    const c = client(url, { schedules: 2 }).connect();
    await eventually(() => expect(c.loaded(2)).toBe(true));
    const deleted = new Promise<{ scheduleId: number }>((resolve) => c.on('deleted', resolve));
    const answer = await fetch(`${url}/api/schedules/2`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(answer.status).toBe(204);
    expect(await deleted).toEqual({ scheduleId: 2 });
    expect(c.state.status).toBe('closed');
    expect(c.stats.connections).toBe(1);
  });
});

describe('my notices on the same connection (notifications: true)', () => {
  it('hands out my notices once each across a resumed stream; the service ending my streams closes it', async () => {
    const s = await server({ sseMaxLifetimeMs: 1000 });
    const c = client(s.url, { notifications: true, noticeEvents: ['news'], backoff: { baseMs: 200 } });
    const notices: Array<[string, unknown]> = [];
    c.on('notice', (n) => notices.push([n.event, n.data]));
    const me = await c.startSession();
    c.connect();
    await eventually(() => expect(c.loaded()).toBe(true));
    expect(c.streamUrl()).toContain('notifications=true');
    const send = (body: unknown) => postWithToken(s.url, `/api/users/${me.userId}/notifications`, body, ADMIN);
    await subscribed(s, userTopic(me.userId));
    await c.hold([4]);
    await send({ data: { text: 'hello' } });
    await eventually(() => expect(notices).toHaveLength(1));
    const reserve = await postWithToken(
      s.url,
      '/api/schedules/1/seats/reserve',
      { userId: me.userId, seatIds: [4], orderId: 'o-1' },
      ADMIN,
    );
    expect(reserve.status).toBe(200);
    await eventually(() => expect(c.stats.connections).toBe(2), 4000); // the stream ended; a new one resumed
    await send({ event: 'news', data: 3 });
    await eventually(() => expect(notices).toHaveLength(3));
    expect(notices).toEqual([
      ['message', { text: 'hello' }],
      ['reserved', { scheduleId: 1, seatIds: [4], orderId: 'o-1' }],
      ['news', 3],
    ]);
    expect(c.stats).toMatchObject({ notices: 3, duplicates: 0 });
    expect(decodeURIComponent(c.streamUrl())).toMatch(/lastEventId=1:\d+@\w+,u:3@\w+/);

    const ended = new Promise<{ userId: string }>((resolve) => c.on('streams-ended', resolve));
    const answer = await fetch(`${s.url}/api/users/${me.userId}/streams`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(answer.status).toBe(204);
    expect(await ended).toEqual({ userId: me.userId });
    expect(c.state.status).toBe('closed');
  });
});
