import { afterEach, describe, expect, it } from 'vitest';
import { sameSite } from '../../src/http/authenticate.js';
import { SseClient } from '../support/sse-client.js';
import { startServer, type TestServer } from '../support/server.js';

/**
 * CORS for pages of `CORS_ORIGINS` (docs/api.md#cors): a listed origin gets credentials, the
 * request headers the API reads and the response headers a page needs; any other gets no CORS
 * header at all. The guest cookie is `SameSite=None; Secure` only when a listed page is of
 * another site.
 */
const SHOP = 'https://tickets.example';
const OTHER = 'https://evil.example';

describe('CORS', () => {
  let server: TestServer;
  afterEach(() => server?.close());

  const cors = (headers: Headers) =>
    Object.fromEntries([...headers].filter(([name]) => name.startsWith('access-control-')).sort());

  it('answers a listed origin’s preflight with 204 and what it may send', async () => {
    server = await startServer({ corsOrigins: [SHOP] });
    const response = await fetch(`${server.url}/api/schedules/1/seats/hold`, {
      method: 'OPTIONS',
      headers: {
        origin: SHOP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(cors(response.headers)).toEqual({
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'Authorization, Content-Type, Last-Event-ID',
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE',
      'access-control-allow-origin': SHOP,
      'access-control-expose-headers': 'Last-Event-ID, ETag',
    });
    expect(response.headers.get('vary')).toMatch(/Origin/);
  });

  it('gives an unlisted origin no CORS header: its preflight is a 404, its requests are not shared', async () => {
    server = await startServer({ corsOrigins: [SHOP] });
    const preflight = await fetch(`${server.url}/api/session`, {
      method: 'OPTIONS',
      headers: { origin: OTHER, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(404);
    expect(cors(preflight.headers)).toEqual({});
    const read = await fetch(`${server.url}/api/schedules/1/seats`, { headers: { origin: OTHER } });
    expect(read.status).toBe(200);
    expect(cors(read.headers)).toEqual({});
  });

  it('shares a listed origin’s answers, errors and streams, exposing Last-Event-ID and ETag', async () => {
    server = await startServer({ corsOrigins: [SHOP, 'http://localhost:8080'] });
    const read = await fetch(`${server.url}/api/schedules/1/seats`, { headers: { origin: SHOP } });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBeTruthy();
    expect(cors(read.headers)).toEqual({
      'access-control-allow-credentials': 'true',
      'access-control-allow-origin': SHOP,
      'access-control-expose-headers': 'Last-Event-ID, ETag',
    });
    const missing = await fetch(`${server.url}/api/schedules/404/seats`, { headers: { origin: SHOP } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(SHOP);

    const stream = await SseClient.connect(`${server.url}/api/events?schedules=1&snapshot=true`, {
      origin: 'http://localhost:8080',
    });
    expect(stream.status).toBe(200);
    expect(stream.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    expect(stream.headers['access-control-allow-credentials']).toBe('true');
    await stream.waitFor((c) => c.events.some((e) => e.event === 'snapshot'));
    stream.close();
  });

  it('without CORS_ORIGINS sends no CORS header and answers no preflight (as before)', async () => {
    server = await startServer();
    const preflight = await fetch(`${server.url}/api/session`, {
      method: 'OPTIONS',
      headers: { origin: SHOP, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(404);
    const read = await fetch(`${server.url}/api/schedules/1/seats`, { headers: { origin: SHOP } });
    expect(cors(read.headers)).toEqual({});
  });
});

describe('the guest cookie’s SameSite', () => {
  let server: TestServer;
  afterEach(() => server?.close());

  async function cookieOf(origins: string[], path = '/api/session', method = 'POST'): Promise<string> {
    server = await startServer({ corsOrigins: origins });
    const response = await fetch(server.url + path, { method });
    return response.headers.get('set-cookie') ?? '';
  }

  it('is Lax without CORS_ORIGINS, or with origins of the same site only', async () => {
    expect(await cookieOf([])).toMatch(/; SameSite=Lax$/);
    await server.close();
    // The API answers at 127.0.0.1: another port (or scheme-equal origin) of it is the same site.
    const cookie = await cookieOf(['http://127.0.0.1:8080']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('is None; Secure when a listed origin is of another site, on session start and logout', async () => {
    const cookie = await cookieOf(['http://localhost:8080']);
    expect(cookie).toMatch(/^seatstream_session=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=None$/);
    const token = /^seatstream_session=([^;]+)/.exec(cookie)![1]!;
    const logout = await fetch(`${server.url}/api/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(logout.status).toBeLessThan(300);
    expect(logout.headers.get('set-cookie')).toMatch(/^seatstream_session=; .*Secure; SameSite=None$/);
  });

  it.each([
    ['http://127.0.0.1:8080', 'http', '127.0.0.1', true],
    ['https://127.0.0.1', 'http', '127.0.0.1', false],
    ['http://localhost:3000', 'http', '127.0.0.1', false],
    ['https://shop.example.com', 'https', 'api.example.com', true],
    ['https://example.com', 'https', 'api.example.com', true],
    ['https://shop.example.co.uk', 'https', 'api.example.co.uk', true],
    ['https://other.co.uk', 'https', 'api.example.co.uk', false],
    ['https://tickets.example', 'https', 'api.seatstream.example', false],
    ['http://[::1]:8080', 'http', '[::1]', true],
  ])('sameSite(%s, %s://%s) is %s', (origin, protocol, hostname, expected) => {
    expect(sameSite(origin, { protocol: protocol as 'http' | 'https', hostname })).toBe(expected);
  });
});
