import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { get, hold, newGuest, startServer, streaming, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-tests-0123';

/** A service call: JSON in and out, with the ADMIN_TOKEN unless another token (or none, null) is given. */
async function api(
  url: string,
  method: 'GET' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  token: string | null = ADMIN,
): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, {
    method,
    headers: {
      ...(token !== null && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('the service’s schedule API', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(): Promise<string> {
    server = await startServer({ adminToken: ADMIN, demo: false });
    return server.url;
  }

  const statuses = async (url: string, id: number) =>
    ((await get(url, `/api/schedules/${id}/seats`)).body as Array<{ id: number; status: string }>)
      .filter((s) => s.status !== 'AVAILABLE')
      .map((s) => [s.id, s.status]);

  it('creates a schedule with reserved seats (201), restores more (200), and a repeat changes nothing', async () => {
    const url = await start();
    const created = await api(url, 'PUT', '/api/schedules/5', { rows: 2, seatsPerRow: 5, reserved: [3, 1] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      scheduleId: 5,
      rows: 2,
      seatsPerRow: 5,
      seats: 10,
      outcome: 'created',
      reserved: [3, 1],
      eventId: expect.stringMatching(/^2@[0-9a-z]+$/),
      events: 2,
    });
    expect(await statuses(url, 5)).toEqual([
      [1, 'RESERVED'],
      [3, 'RESERVED'],
    ]);
    const viewer = await SseClient.connect(`${url}/api/schedules/5/seats/events`);
    await streaming(server!, 5);
    const guest = await newGuest(url);
    expect((await hold(url, guest, [4, 5], 5)).status).toBe(200);
    // The operator's records say 4 is sold: the buyer's hold gives way; 1 and 3 stay as they are.
    const restored = await api(url, 'PUT', '/api/schedules/5', { rows: 2, seatsPerRow: 5, reserved: [1, 3, 4, 6] });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ outcome: 'updated', reserved: [4, 6], events: 2 });
    const again = await api(url, 'PUT', '/api/schedules/5', { rows: 2, seatsPerRow: 5, reserved: [6, 4, 3, 1] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ outcome: 'unchanged', reserved: [], events: 0, eventId: restored.body.eventId });
    // A later event: once it is here, anything the repeat had sent would have come before it.
    const sentinel = await hold(url, guest, [7], 5);
    await viewer.waitForSeatEvents(5);
    expect(viewer.seatEvents().map((e) => [e.scheduleSeatId, e.status])).toEqual([
      [4, 'HELD'],
      [5, 'HELD'],
      [4, 'RESERVED'],
      [6, 'RESERVED'],
      [7, 'HELD'],
    ]);
    expect(viewer.seatEvents().at(-1)!.id).toBe(sentinel.body.eventId);
    expect(await statuses(url, 5)).toEqual([
      [1, 'RESERVED'],
      [3, 'RESERVED'],
      [4, 'RESERVED'],
      [5, 'HELD'],
      [6, 'RESERVED'],
      [7, 'HELD'],
    ]);
    viewer.close();
  });

  it('refuses bad input with a 4xx JSON answer and changes nothing', async () => {
    const url = await start();
    await api(url, 'PUT', '/api/schedules/5', { rows: 2, seatsPerRow: 5, reserved: [1] });
    const before = await api(url, 'GET', '/api/schedules');
    const refusals: Array<[unknown, number, string, number?]> = [
      [{ rows: 5, seatsPerRow: 2, reserved: [2] }, 409, 'LAYOUT_CONFLICT'],
      [{ rows: 2, seatsPerRow: 5, reserved: [2, 11, 12] }, 404, 'SEAT_NOT_FOUND'],
      [{ rows: 2, seatsPerRow: 5, reserved: [2, 2] }, 400, 'BAD_REQUEST'],
      [{ rows: 2, seatsPerRow: 5, reserved: ['2'] }, 400, 'BAD_REQUEST'],
      [{ rows: 2, seatsPerRow: 5, reserved: [0] }, 400, 'BAD_REQUEST'],
      [{ rows: 2, seatsPerRow: 5, reserved: [1.5] }, 400, 'BAD_REQUEST'],
      [{ rows: 2, seatsPerRow: 5, reserved: 2 }, 400, 'BAD_REQUEST'],
      [{ rows: 2, seatsPerRow: 5, reserved: [2], extra: true }, 400, 'BAD_REQUEST'],
      [{ rows: 2, seatsPerRow: 5, reserved: Array.from({ length: 10_001 }, (_, i) => i + 1) }, 400, 'BAD_REQUEST'],
      [
        { rows: 2, seatsPerRow: 5, reserved: Array.from({ length: 30_000 }, (_, i) => i + 1) },
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      ['{"rows": 2,', 400, 'INVALID_JSON'],
    ];
    for (const [body, status, error] of refusals) {
      const answer = await api(url, 'PUT', '/api/schedules/5', body);
      expect([error, answer.status, answer.body.error]).toEqual([error, status, error]);
      expect(answer.body.message).toEqual(expect.any(String));
    }
    expect(
      (await api(url, 'PUT', '/api/schedules/5', { rows: 2, seatsPerRow: 5, reserved: [2, 11, 12] })).body,
    ).toMatchObject({ seatIds: [11, 12] });
    // A new schedule whose records name a seat it does not have is not created.
    const unplaced = await api(url, 'PUT', '/api/schedules/6', { rows: 1, seatsPerRow: 3, reserved: [1, 4] });
    expect([unplaced.status, unplaced.body.error]).toEqual([404, 'SEAT_NOT_FOUND']);
    expect((await get(url, '/api/schedules/6/seats')).status).toBe(404);
    expect((await api(url, 'DELETE', '/api/schedules/6')).body.error).toBe('SCHEDULE_NOT_FOUND');
    expect((await api(url, 'DELETE', '/api/schedules/0')).status).toBe(400);
    expect(await api(url, 'GET', '/api/schedules')).toEqual(before);
    // An import names at most 10,000 seats (a bigger venue is imported in several requests).
    const first = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const big = await api(url, 'PUT', '/api/schedules/7', { rows: 100, seatsPerRow: 1000, reserved: first });
    expect([big.status, big.body.events]).toEqual([201, 10_000]);
    const rest = Array.from({ length: 10_001 }, (_, i) => i + 10_001);
    const tooMany = await api(url, 'PUT', '/api/schedules/7', { rows: 100, seatsPerRow: 1000, reserved: rest });
    expect([tooMany.status, tooMany.body.error]).toEqual([400, 'BAD_REQUEST']);
    const second = await api(url, 'PUT', '/api/schedules/7', { rows: 100, seatsPerRow: 1000, reserved: rest.slice(1) });
    expect([second.status, second.body.outcome, second.body.events]).toEqual([200, 'updated', 10_000]);
  });

  it('lists every schedule with its layout, seat counts by status and last event id', async () => {
    const url = await start();
    expect(await api(url, 'GET', '/api/schedules')).toEqual({ status: 200, body: { schedules: [] } });
    await api(url, 'PUT', '/api/schedules/12', { rows: 1, seatsPerRow: 4 });
    const second = await api(url, 'PUT', '/api/schedules/3', { rows: 2, seatsPerRow: 5, reserved: [1, 2] });
    const guest = await newGuest(url);
    const held = await hold(url, guest, [3, 4, 5], 3);
    const list = await api(url, 'GET', '/api/schedules');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      schedules: [
        {
          scheduleId: 3,
          rows: 2,
          seatsPerRow: 5,
          seats: 10,
          available: 5,
          held: 3,
          reserved: 2,
          lastEventId: held.body.eventId,
        },
        {
          scheduleId: 12,
          rows: 1,
          seatsPerRow: 4,
          seats: 4,
          available: 4,
          held: 0,
          reserved: 0,
          lastEventId: expect.stringMatching(/^0@/),
        },
      ],
    });
    expect(second.body.eventId).not.toBe(held.body.eventId);
  });

  it('deletes a schedule: its streams end with `event: deleted`, multi-schedule ones whole; then 404', async () => {
    const url = await start();
    await api(url, 'PUT', '/api/schedules/5', { rows: 1, seatsPerRow: 5 });
    await api(url, 'PUT', '/api/schedules/6', { rows: 1, seatsPerRow: 5 });
    const single = await SseClient.connect(`${url}/api/schedules/5/seats/events`);
    const multi = await SseClient.connect(`${url}/api/events?schedules=6,5`);
    const other = await SseClient.connect(`${url}/api/schedules/6/seats/events`);
    await streaming(server!, 5, 2);
    await streaming(server!, 6, 2);
    const guest = await newGuest(url);
    await hold(url, guest, [1], 5);
    await single.waitForSeatEvents(1);

    const deleted = await api(url, 'DELETE', '/api/schedules/5');
    expect(deleted).toEqual({ status: 204, body: undefined });
    for (const client of [single, multi]) {
      await client.waitForEnd();
      expect(client.withoutHeartbeats().at(-1)).toMatchObject({ event: 'deleted', data: '{"scheduleId":5}' });
      expect(client.events.filter((e) => e.event === 'error')).toEqual([]);
    }
    // A stream of another schedule goes on.
    const sentinel = await hold(url, guest, [2], 6);
    await other.waitForSeatEvents(1);
    expect(other.ended).toBe(false);
    expect(other.seatEvents()[0]!.id).toBe(sentinel.body.eventId);

    expect((await get(url, '/api/schedules/5/seats')).status).toBe(404);
    const stream = await SseClient.connect(`${url}/api/schedules/5/seats/events`);
    expect(stream.status).toBe(404);
    stream.close();
    expect((await hold(url, guest, [3], 5)).status).toBe(404);
    expect((await api(url, 'DELETE', '/api/schedules/5')).status).toBe(404);
    expect((await api(url, 'GET', '/api/schedules')).body.schedules.map((s: any) => s.scheduleId)).toEqual([6]);
    // Created again, it starts afresh, under a new epoch.
    const again = await api(url, 'PUT', '/api/schedules/5', { rows: 1, seatsPerRow: 2, reserved: [2] });
    expect(again.status).toBe(201);
    expect(again.body.eventId.split('@')[1]).not.toBe(sentinel.body.eventId.split('@')[1]);
    other.close();
  });

  it('is the service’s alone: a buyer is refused with 403, a request without a credential with 401', async () => {
    const url = await start();
    await api(url, 'PUT', '/api/schedules/5', { rows: 1, seatsPerRow: 5 });
    const guest = await newGuest(url);
    const calls: Array<['GET' | 'PUT' | 'DELETE', string, unknown?]> = [
      ['GET', '/api/schedules'],
      ['PUT', '/api/schedules/5', { rows: 1, seatsPerRow: 5, reserved: [1] }],
      ['PUT', '/api/schedules/6', { rows: 1, seatsPerRow: 5 }],
      ['DELETE', '/api/schedules/5'],
    ];
    for (const [method, path, body] of calls) {
      const buyer = await api(url, method, path, body, guest.token);
      expect([method, path, buyer.status, buyer.body.error]).toEqual([method, path, 403, 'FORBIDDEN']);
      const nobody = await api(url, method, path, body, null);
      expect([method, path, nobody.status, nobody.body.error]).toEqual([method, path, 401, 'UNAUTHORIZED']);
    }
    const list = await api(url, 'GET', '/api/schedules');
    expect(list.body.schedules).toEqual([expect.objectContaining({ scheduleId: 5, available: 5, reserved: 0 })]);
  });
});
