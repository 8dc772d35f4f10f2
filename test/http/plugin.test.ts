import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { seatstream } from '../../src/index.js';
import { SseClient } from '../support/sse-client.js';
import { eventually, hold, newGuest, streaming, testConfig, type TestServer } from '../support/server.js';

/** seatstream registered into an operator's own fastify app, beside that app's routes. */
describe('seatstream as a fastify plugin', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => app?.close());

  async function host(): Promise<TestServer> {
    // The operator's app, with its own defaults (ajv coercion on, fastify's own 404 and errors).
    app = Fastify({ forceCloseConnections: true });
    app.get('/api/orders/:id', async (request) => ({ order: (request.params as { id: string }).id, total: 42 }));
    app.post(
      '/api/orders',
      { schema: { body: { type: 'object', properties: { qty: { type: 'integer' } } } } },
      async (request) => ({ qty: (request.body as { qty: number }).qty }),
    );
    await app.register(seatstream, { config: testConfig({ adminToken: 'plugin-test-service-token' }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    return { app, url: `http://127.0.0.1:${port}`, close: () => app!.close() };
  }

  it("serves seatstream's routes and the host's own side by side, each with its own rules", async () => {
    const server = await host();
    const own = await fetch(`${server.url}/api/orders/7`);
    expect(await own.json()).toEqual({ order: '7', total: 42 });
    // The host's validation coerces as it is configured to; seatstream's does not.
    const coerced = await fetch(`${server.url}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ qty: '3' }),
    });
    expect(await coerced.json()).toEqual({ qty: 3 });
    const guest = await newGuest(server.url);
    const strict = await fetch(`${server.url}/api/schedules/1/seats/hold`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${guest.token}` },
      body: JSON.stringify({ seatIds: ['5'] }),
    });
    expect(strict.status).toBe(400);
    expect(await strict.json()).toMatchObject({ error: 'BAD_REQUEST' });
    // seatstream's security headers are its own: the host's routes do not get its CSP.
    expect(own.headers.get('content-security-policy')).toBeNull();

    const stream = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    await streaming(server, 1);
    expect((await hold(server.url, guest, [5])).status).toBe(200);
    await stream.waitFor((c) => c.seatEvents().length === 1);
    expect(stream.seatEvents()[0]).toMatchObject({ scheduleSeatId: 5, status: 'HELD' });
    expect(server.app.seatstream.hub.subscriberCount('schedule:1')).toBe(1);
  });

  it('closes with the host: streams end with a retry hint, readiness turns 503 first', async () => {
    const server = await host();
    const stream = await SseClient.connect(`${server.url}/api/schedules/1/seats/events`);
    await streaming(server, 1);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await server.close();
    await stream.waitForEnd();
    expect(stream.retries.length).toBeGreaterThan(0);
    app = undefined;
    await eventually(() => expect(server.app.seatstream.accepting).toBe(false));
  });
});
