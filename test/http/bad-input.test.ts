import http from 'node:http';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { SseClient } from '../support/sse-client.js';
import { startServer, type Guest, type TestServer } from '../support/server.js';

/**
 * docs/design.md §5: every bad input gets a clear 4xx with a JSON body `{ error, message, ... }` and
 * changes nothing — no state, no event, no stream opened.
 *
 * Plain request/response cases go through `app.inject` (no socket). The stream routes, whose
 * refusal must come before a stream opens, and a chunked body are sent over a real socket.
 */

const SEATS = '/api/schedules/1/seats';
const EVENTS = '/api/schedules/1/seats/events';
const SERVICE = 'test-service-token-0123456789';
const METRICS_TOKEN = 'test-metrics-token-0123456789';
/** The Host `app.inject` requests are sent with here, and so the origin a cookie-authenticated change must name. */
const HOST = 'seatstream.test';

interface Answer {
  status: number;
  contentType: string;
  body: any;
}

/** A request through the app without a socket; the body is parsed as JSON when the answer says it is JSON. */
async function inject(app: FastifyInstance, options: InjectOptions): Promise<Answer> {
  const response = await app.inject(options);
  const contentType = String(response.headers['content-type'] ?? '');
  return {
    status: response.statusCode,
    contentType,
    body: contentType.startsWith('application/json') ? response.json() : response.body,
  };
}

async function newGuest(app: FastifyInstance): Promise<Guest> {
  const answer = await inject(app, { method: 'POST', url: '/api/session' });
  if (answer.status !== 200) throw new Error(`session: ${answer.status}`);
  return answer.body as Guest;
}

/** POST a JSON body as the guest (or as the service, given its token), through the app. */
function post(app: FastifyInstance, url: string, body: unknown, guest?: Guest | string): Promise<Answer> {
  const token = typeof guest === 'string' ? guest : guest?.token;
  return inject(app, {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function hold(app: FastifyInstance, guest: Guest, seatIds: number[]): Promise<Answer> {
  return post(app, '/api/schedules/1/seats/hold', { seatIds }, guest);
}

/** A stream route over a real socket; the body is parsed as JSON when the answer says it is JSON. */
async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const contentType = response.headers.get('content-type') ?? '';
  if (contentType.startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, contentType, body: undefined };
  }
  const text = await response.text();
  return {
    status: response.status,
    contentType,
    body: contentType.startsWith('application/json') ? JSON.parse(text) : text,
  };
}

/** POST /api/schedules/1/seats/hold with a raw body and exactly these headers, through the app. */
function rawHold(app: FastifyInstance, body: string, headers: Record<string, string>): Promise<Answer> {
  return inject(app, { method: 'POST', url: '/api/schedules/1/seats/hold', headers, payload: body });
}

function expectError(answer: Answer, status: number, error: string): void {
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/json/),
  });
  expect(answer.body).toEqual(expect.objectContaining({ error, message: expect.any(String) }));
  expect(answer.body.message.length).toBeGreaterThan(0);
}

/** A POST whose body is sent chunked, without Content-Length. */
function postChunked(url: string, path: string, chunks: string[], token: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url + path,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'transfer-encoding': 'chunked',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const contentType = String(res.headers['content-type'] ?? '');
          resolve({
            status: res.statusCode ?? 0,
            contentType,
            body: contentType.startsWith('application/json') ? JSON.parse(text) : text,
          });
        });
      },
    );
    // The server may answer (and close) before the whole body is written.
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('bad input', () => {
  let server: TestServer;
  let app: FastifyInstance;
  let guest: Guest;
  let viewer: SseClient;
  let head: string;

  beforeEach(async () => {
    server = await startServer({ adminToken: SERVICE, metricsToken: METRICS_TOKEN });
    app = server.app;
    guest = await newGuest(app);
    viewer = await SseClient.connect(server.url + EVENTS);
    head = String((await app.inject({ url: SEATS })).headers['last-event-id']);
    expect(head).toMatch(/^\d+@[0-9a-z]+$/);
  });
  afterEach(async () => {
    viewer.close();
    await server.close();
  });

  /**
   * Nothing changed: same head, every seat available, the viewer is the only stream ever opened,
   * and a sentinel hold made now is the very next event (head + 1) and the first the viewer sees.
   */
  async function expectNothingChanged(): Promise<void> {
    const after = await app.inject({ url: SEATS });
    expect(after.headers['last-event-id']).toBe(head);
    expect(after.json().filter((s: { status: string }) => s.status !== 'AVAILABLE')).toEqual([]);
    const metrics = (await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).body;
    expect(metrics).toMatch(/^seatstream_sse_connections_total 1$/m);
    expect(app.seatstream.hub.subscriberCount(scheduleTopic(1))).toBe(1);

    const [offset, epoch] = head.split('@');
    const sentinel = await hold(app, guest, [200]);
    expect(sentinel.status).toBe(200);
    expect(sentinel.body.eventId).toBe(`${Number(offset) + 1}@${epoch}`);
    await viewer.waitForSeatEvents(1);
    expect(viewer.seatEvents()).toEqual([
      expect.objectContaining({ id: sentinel.body.eventId, scheduleSeatId: 200, status: 'HELD' }),
    ]);
    expect(viewer.events.filter((e) => e.event !== 'message')).toEqual([]);
  }

  describe('schedule ids', () => {
    it.each(['abc', '1.5', '-1', '0', '1e3', '0x10', '99999999999', '2147483648'])(
      'refuses scheduleId %j with 400 on every route',
      async (id) => {
        expectError(await inject(app, { url: `/api/schedules/${id}/seats` }), 400, 'BAD_REQUEST');
        // Each route as the caller it is for, with a body it would take: only the schedule id is wrong.
        const order = { seatIds: [1], userId: guest.userId, orderId: 'order-1' };
        const calls: Array<[string, unknown, Guest | string]> = [
          [`/api/schedules/${id}/seats/hold`, { seatIds: [1] }, guest],
          [`/api/schedules/${id}/seats/release`, { seatIds: [1] }, guest],
          [`/api/schedules/${id}/seats/release`, { seatIds: [1] }, SERVICE],
          [`/api/schedules/${id}/seats/reserve`, order, SERVICE],
          [`/api/demo/schedules/${id}/checkout`, { seatIds: [1] }, guest],
        ];
        for (const [path, body, caller] of calls) {
          const answer = await post(app, path, body, caller);
          expect([path, answer.status]).toEqual([path, 400]);
          expectError(answer, 400, 'BAD_REQUEST');
        }
        const put = await inject(app, {
          method: 'PUT',
          url: `/api/schedules/${id}`,
          headers: { authorization: `Bearer ${SERVICE}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ rows: 1, seatsPerRow: 1 }),
        });
        expectError(put, 400, 'BAD_REQUEST');
        const sse = { headers: { accept: 'text/event-stream' } };
        expectError(await request(`${server.url}/api/schedules/${id}/seats/events`, sse), 400, 'BAD_REQUEST');
        expectError(await request(`${server.url}/api/events?schedules=${id}`, sse), 400, 'BAD_REQUEST');
        expectError(await request(`${server.url}/api/events?schedules=1,${id}`, sse), 400, 'BAD_REQUEST');
        await expectNothingChanged();
      },
    );

    it.each(['999', '2147483647'])(
      'answers 404 SCHEDULE_NOT_FOUND for unknown schedule %s on seats, hold and SSE',
      async (id) => {
        expectError(await inject(app, { url: `/api/schedules/${id}/seats` }), 404, 'SCHEDULE_NOT_FOUND');
        const held = await post(app, `/api/schedules/${id}/seats/hold`, { seatIds: [1] }, guest);
        expectError(held, 404, 'SCHEDULE_NOT_FOUND');
        const sse = { headers: { accept: 'text/event-stream' } };
        expectError(await request(`${server.url}/api/schedules/${id}/seats/events`, sse), 404, 'SCHEDULE_NOT_FOUND');
        expectError(
          await request(`${server.url}/api/schedules/${id}/seats/events?snapshot=true`, sse),
          404,
          'SCHEDULE_NOT_FOUND',
        );
        await expectNothingChanged();
      },
    );
  });

  describe('seat ids', () => {
    it('answers 404 SEAT_NOT_FOUND naming the unknown seats, and holds none of the list', async () => {
      const answer = await hold(app, guest, [5, 201, 300]);
      expectError(answer, 404, 'SEAT_NOT_FOUND');
      expect(answer.body).toEqual({
        error: 'SEAT_NOT_FOUND',
        message: expect.stringContaining('201'),
        seatIds: [201, 300],
      });
      expect(answer.body.message).toContain('300');
      const calls: Array<[string, unknown, Guest | string]> = [
        ['/api/schedules/1/seats/release', { seatIds: [1000] }, guest],
        ['/api/schedules/1/seats/release', { seatIds: [1000] }, SERVICE],
        ['/api/schedules/1/seats/reserve', { seatIds: [1000], userId: guest.userId, orderId: 'order-1' }, SERVICE],
        ['/api/demo/schedules/1/checkout', { seatIds: [1000] }, guest],
      ];
      for (const [path, body, caller] of calls) {
        const other = await post(app, path, body, caller);
        expect([path, other.status]).toEqual([path, 404]);
        expectError(other, 404, 'SEAT_NOT_FOUND');
        expect(other.body).toMatchObject({ error: 'SEAT_NOT_FOUND', seatIds: [1000] });
      }
      await expectNothingChanged();
    });

    const twentyOne = Array.from({ length: 21 }, (_, i) => i + 1);
    it.each([
      ['an empty list', { seatIds: [] }],
      ['a duplicate id', { seatIds: [3, 3] }],
      ['a number, not an array', { seatIds: 5 }],
      ['a string, not an array', { seatIds: '5' }],
      ['an object, not an array', { seatIds: { 0: 5 } }],
      ['null', { seatIds: null }],
      ['a string id', { seatIds: ['5'] }],
      ['a null id', { seatIds: [null] }],
      ['a float id', { seatIds: [1.5] }],
      ['seat 0', { seatIds: [0] }],
      ['a negative id', { seatIds: [-3] }],
      ['an id over 2^31-1', { seatIds: [2147483648] }],
      ['more than MAX_SEATS_PER_REQUEST (21 ids)', { seatIds: twentyOne }],
      ['no seatIds', {}],
      ['an extra property', { seatIds: [1], note: 'x' }],
      ['an array body', [1, 2]],
      ['a JSON string body', '"seatIds"'],
      ['a JSON null body', 'null'],
    ])('refuses %s with 400 BAD_REQUEST', async (_what, body) => {
      expectError(await post(app, '/api/schedules/1/seats/hold', body, guest), 400, 'BAD_REQUEST');
      await expectNothingChanged();
    });

    it('validates release, reserve and checkout seat lists the same way', async () => {
      const order = { userId: guest.userId, orderId: 'order-1' };
      const routes: Array<[string, Record<string, unknown>, Guest | string]> = [
        ['/api/schedules/1/seats/release', {}, guest],
        ['/api/schedules/1/seats/release', {}, SERVICE],
        ['/api/schedules/1/seats/reserve', order, SERVICE],
        ['/api/demo/schedules/1/checkout', {}, guest],
      ];
      for (const [path, rest, caller] of routes) {
        for (const body of [{ seatIds: [] }, { seatIds: ['5'] }, { seatIds: twentyOne }, { seatIds: [1], extra: 1 }]) {
          const answer = await post(app, path, { ...rest, ...body }, caller);
          expect([path, answer.status, answer.body.error]).toEqual([path, 400, 'BAD_REQUEST']);
          expectError(answer, 400, 'BAD_REQUEST');
        }
      }
      await expectNothingChanged();
    });

    it.each([
      ['no userId', { seatIds: [1], orderId: 'order-1' }],
      ['an empty userId', { seatIds: [1], userId: '', orderId: 'order-1' }],
      ['a userId over 256 characters', { seatIds: [1], userId: 'u'.repeat(257), orderId: 'order-1' }],
      ['a numeric userId', { seatIds: [1], userId: 5, orderId: 'order-1' }],
      ['no orderId', { seatIds: [1], userId: 'guest-1' }],
      ['an empty orderId', { seatIds: [1], userId: 'guest-1', orderId: '' }],
      ['an orderId with a space', { seatIds: [1], userId: 'guest-1', orderId: 'order 1' }],
      ['an orderId over 64 characters', { seatIds: [1], userId: 'guest-1', orderId: 'o'.repeat(65) }],
      ['a numeric orderId', { seatIds: [1], userId: 'guest-1', orderId: 1 }],
      ['no seatIds', { userId: 'guest-1', orderId: 'order-1' }],
    ])('refuses a reserve with %s with 400 BAD_REQUEST', async (_what, body) => {
      expectError(await post(app, '/api/schedules/1/seats/reserve', body, SERVICE), 400, 'BAD_REQUEST');
      await expectNothingChanged();
    });

    it('takes the seat cap from MAX_SEATS_PER_REQUEST', async () => {
      const config = { ...defaultConfig, logLevel: 'silent' as const, maxSeatsPerRequest: 3 };
      const capped = await buildApp(config, { logger: false }); // never listens
      try {
        const me = await newGuest(capped);
        const before = String((await capped.inject({ url: SEATS })).headers['last-event-id']);
        expectError(await hold(capped, me, [1, 2, 3, 4]), 400, 'BAD_REQUEST');
        expect((await capped.inject({ url: SEATS })).headers['last-event-id']).toBe(before);
        expect((await hold(capped, me, [1, 2, 3])).status).toBe(200);
      } finally {
        await capped.close();
      }
    });
  });

  describe('bodies', () => {
    it.each([
      ['truncated JSON', '{"seatIds": [1'],
      ['plain text', 'hold seat 5 please'],
      ['an empty body', ''],
      ['a trailing comma', '{"seatIds": [1],}'],
    ])('refuses %s with 400 INVALID_JSON', async (_what, body) => {
      const answer = await rawHold(app, body, {
        'content-type': 'application/json',
        authorization: `Bearer ${guest.token}`,
      });
      expectError(answer, 400, 'INVALID_JSON');
      await expectNothingChanged();
    });

    it.each([
      ['application/x-www-form-urlencoded', 'seatIds=1'],
      ['application/xml', '<seatIds><id>1</id></seatIds>'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="seatIds"\r\n\r\n1\r\n--x--\r\n',
      ],
    ])('refuses a %s body with 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, body) => {
      const answer = await rawHold(app, body, {
        'content-type': contentType,
        authorization: `Bearer ${guest.token}`,
      });
      expectError(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectNothingChanged();
    });

    it('refuses a text/plain body (what fetch sends for a bare string) with 415, not as a schema error', async () => {
      // fastify parses text/plain by default, so the JSON-only API must refuse it itself.
      const answer = await rawHold(app, '{"seatIds":[1]}', {
        'content-type': 'text/plain;charset=UTF-8', // what fetch sends for a bare string
        authorization: `Bearer ${guest.token}`,
      });
      await expectNothingChanged();
      expectError(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('refuses a body over 16 KiB with 413 PAYLOAD_TOO_LARGE', async () => {
      const body = JSON.stringify({ seatIds: [1], pad: 'x'.repeat(16 * 1024) });
      const answer = await rawHold(app, body, {
        'content-type': 'application/json',
        authorization: `Bearer ${guest.token}`,
      });
      expectError(answer, 413, 'PAYLOAD_TOO_LARGE');
      await expectNothingChanged();
    });

    it('refuses a chunked body (no Content-Length) once it passes 16 KiB with 413', async () => {
      const chunks = ['{"seatIds":[1],"pad":"', ...Array.from({ length: 20 }, () => 'y'.repeat(1024)), '"}'];
      const answer = await postChunked(server.url, '/api/schedules/1/seats/hold', chunks, guest.token);
      expectError(answer, 413, 'PAYLOAD_TOO_LARGE');
      await expectNothingChanged();
    });
  });

  describe('identity', () => {
    function holdAs(headers: Record<string, string>): Promise<Answer> {
      return rawHold(app, JSON.stringify({ seatIds: [1] }), { 'content-type': 'application/json', ...headers });
    }

    /** A cookie-authenticated change from the server's own origin (else it is refused before the cookie is read). */
    function holdWithCookie(token: string): Promise<Answer> {
      const cookie = `seatstream_session=${encodeURIComponent(token)}`;
      return holdAs({ cookie, host: HOST, origin: `http://${HOST}` });
    }

    it('refuses a mutation without identity with 401 UNAUTHORIZED', async () => {
      expectError(await holdAs({}), 401, 'UNAUTHORIZED');
      const calls: Array<[string, unknown]> = [
        ['/api/schedules/1/seats/release', { seatIds: [1] }],
        ['/api/schedules/1/seats/reserve', { seatIds: [1], userId: guest.userId, orderId: 'order-1' }],
        ['/api/demo/schedules/1/checkout', { seatIds: [1] }],
      ];
      for (const [path, body] of calls) {
        const answer = await post(app, path, body);
        expect([path, answer.status]).toEqual([path, 401]);
        expectError(answer, 401, 'UNAUTHORIZED');
      }
      await expectNothingChanged();
    });

    it('refuses the service’s routes to a buyer with 403 FORBIDDEN', async () => {
      const order = { seatIds: [1], userId: guest.userId, orderId: 'order-1' };
      expectError(await post(app, '/api/schedules/1/seats/reserve', order, guest), 403, 'FORBIDDEN');
      const put = await inject(app, {
        method: 'PUT',
        url: '/api/schedules/2',
        headers: { authorization: `Bearer ${guest.token}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ rows: 1, seatsPerRow: 1 }),
      });
      expectError(put, 403, 'FORBIDDEN');
      expectError(await inject(app, { url: '/api/schedules/2/seats' }), 404, 'SCHEDULE_NOT_FOUND');
      await expectNothingChanged();
    });

    it('refuses forged and garbled bearer tokens and cookies with 401', async () => {
      const [userId, expiry, signature] = guest.token.split('.') as [string, string, string];
      const other = await newGuest(app);
      const forged = [
        `${other.userId}.${expiry}.${signature}`, // someone else's id under my signature
        `${userId}.${Number(expiry) + 3600}.${signature}`, // a longer life under the old signature
        `${userId}.${expiry}.${signature.slice(0, -2)}AA`, // tampered signature
        `${userId}.${expiry}.`, // no signature
        `${userId}.${expiry}`,
        `${guest.token}.extra`,
        'garbage',
        '...',
        'a.b.c',
      ];
      for (const token of forged) {
        expectError(await holdAs({ authorization: `Bearer ${token}` }), 401, 'UNAUTHORIZED');
        expectError(await holdWithCookie(token), 401, 'UNAUTHORIZED');
      }
      expectError(await holdAs({ authorization: 'Bearer ' }), 401, 'UNAUTHORIZED');
      expectError(
        await holdAs({ authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }),
        401,
        'UNAUTHORIZED',
      );
      expectError(await holdAs({ authorization: guest.token }), 401, 'UNAUTHORIZED'); // no "Bearer " scheme
      await expectNothingChanged();
    });
  });

  describe('SSE parameters', () => {
    const malformed = [
      'abc',
      '42',
      '42@',
      '@k3x9',
      '-1@k3x9',
      '42@K3X9',
      '1.5@k3x9',
      '42@k3x9 43@k3x9',
      '1:42@k3x9',
      '0x10@k3x9',
      `42@${'a'.repeat(33)}`,
      '12345678901234567@k3x9',
    ];

    it.each(malformed)(
      'refuses Last-Event-ID %j with 400 INVALID_LAST_EVENT_ID as JSON, before any stream opens',
      async (id) => {
        const answer = await request(server.url + EVENTS, {
          headers: { accept: 'text/event-stream', 'last-event-id': id },
        });
        expectError(answer, 400, 'INVALID_LAST_EVENT_ID');
        await expectNothingChanged();
      },
    );

    it.each(malformed)('refuses ?lastEventId=%j with 400 INVALID_LAST_EVENT_ID as JSON', async (id) => {
      const answer = await request(`${server.url}${EVENTS}?lastEventId=${encodeURIComponent(id)}`, {
        headers: { accept: 'text/event-stream' },
      });
      expectError(answer, 400, 'INVALID_LAST_EVENT_ID');
      await expectNothingChanged();
    });

    it('refuses a malformed header even when the query id is valid (the header wins)', async () => {
      const answer = await request(`${server.url}${EVENTS}?lastEventId=${head}`, {
        headers: { accept: 'text/event-stream', 'last-event-id': 'nope' },
      });
      expectError(answer, 400, 'INVALID_LAST_EVENT_ID');
      await expectNothingChanged();
    });

    it.each(['maybe', 'yes', 'TRUE', '2'])('refuses ?snapshot=%s with 400', async (flag) => {
      const answer = await request(`${server.url}${EVENTS}?snapshot=${flag}`, {
        headers: { accept: 'text/event-stream' },
      });
      expectError(answer, 400, 'BAD_REQUEST');
      await expectNothingChanged();
    });
  });

  describe('routes', () => {
    it.each([
      ['GET', '/api/nope', 404, 'NOT_FOUND'],
      ['GET', '/api/schedule', 404, 'NOT_FOUND'],
      ['POST', '/api/schedules/1/seats/steal', 404, 'NOT_FOUND'],
      // A known path with another method: 405 (its Allow header: test/http/http-semantics.test.ts).
      ['DELETE', '/api/schedules/1/seats', 405, 'METHOD_NOT_ALLOWED'],
      ['PUT', '/api/schedules/1/seats', 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/no-such-page.html', 404, 'NOT_FOUND'],
    ] as const)('answers %s %s with %i JSON', async (method, path, status, code) => {
      const answer = await inject(app, {
        method: method as InjectOptions['method'],
        url: path,
        headers: {
          authorization: `Bearer ${guest.token}`,
          ...(method !== 'GET' && method !== 'DELETE' && { 'content-type': 'application/json' }),
        },
        ...(method !== 'GET' && method !== 'DELETE' && { payload: JSON.stringify({ seatIds: [1] }) }),
      });
      expectError(answer, status, code);
      await expectNothingChanged();
    });
  });
});
