import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { call, parseRaw, rawExchange } from '../support/trust.js';

describe('security headers and error shapes outside the routes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it.each([
    ['the demo page', '/'],
    ['a file of the page', '/style.css'],
  ])("%s carries helmet's document headers: the page's CSP (frame-ancestors none), nosniff", async (_what, path) => {
    const response = await fetch(server.url + path);
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    // Helmet's other defaults come along; plain-HTTP servers are not told to upgrade.
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it.each([
    ['the seat map', '/api/schedules/1/seats'],
    ['an API error', '/api/schedules/999/seats'],
    ['the health check', '/healthz'],
    ['an event stream', '/api/schedules/1/seats/events'],
  ])('%s carries the API set: nothing loads, nothing frames, nosniff, no referrer', async (_what, path) => {
    const controller = new AbortController();
    const response = await fetch(server.url + path, { signal: controller.signal });
    controller.abort(); // an event stream never ends by itself: its headers are all this needs
    await response.arrayBuffer().catch(() => undefined);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    // None of the document-level ones: kept short, as Node keeps each open stream's header block.
    for (const name of [
      'cross-origin-opener-policy',
      'origin-agent-cluster',
      'x-dns-prefetch-control',
      'x-xss-protection',
    ])
      expect(response.headers.get(name), name).toBeNull();
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('a header too large is a 431 in the API JSON error shape', async () => {
    const { data } = await rawExchange(
      server.url,
      (socket) => socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
      5_000,
    );
    const response = parseRaw(data);
    expect(response.status).toBe(431);
    expect(response.headers).toMatch(/content-type: application\/json/i);
    expect(response.body).toEqual({ error: 'HEADERS_TOO_LARGE', message: expect.any(String) });
  });

  it('a static file that does not exist is a 404 in the API JSON error shape', async () => {
    const response = await call(server.url, '/no-such-file.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual({ error: 'NOT_FOUND', message: expect.any(String) });
  });

  it.each([
    // @fastify/static 10.1.3 (pinned for Node 20) refuses it as a bad request; later versions say 403.
    ['a NUL byte in the path', '/style.css%00', 400, 'BAD_REQUEST'],
    ['a climb out of the root', '/build/..%5c..%5cpackage.json', 403, 'FORBIDDEN'],
    ['a dotfile', '/.git/config', 404, 'NOT_FOUND'],
  ])(
    'a static path the file server refuses (%s: %s) is a %i in the API JSON error shape',
    async (_what, path, status, code) => {
      const response = await call(server.url, path);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.body).toEqual({ error: code, message: expect.any(String) });
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    },
  );
});
