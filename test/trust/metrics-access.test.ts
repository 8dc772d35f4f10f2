import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { bearer, call } from '../support/trust.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('/metrics', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is 404 without METRICS_TOKEN, whatever is sent', async () => {
    server = await startServer();
    expect((await call(server.url, '/metrics')).status).toBe(404);
    const withCredential = await call(server.url, '/metrics', { headers: bearer(METRICS_TOKEN) });
    expect(withCredential.status).toBe(404);
    expect(withCredential.body.error).toBe('NOT_FOUND');
  });

  it('is 401 without or with a wrong credential, 200 with the right one', async () => {
    server = await startServer({ metricsToken: METRICS_TOKEN });
    const none = await call(server.url, '/metrics');
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('UNAUTHORIZED');
    expect((await call(server.url, '/metrics', { headers: bearer(`${METRICS_TOKEN}x`) })).status).toBe(401);
    expect((await call(server.url, '/metrics', { headers: bearer(METRICS_TOKEN.slice(0, -1)) })).status).toBe(401);
    const right = await call(server.url, '/metrics', { headers: bearer(METRICS_TOKEN) });
    expect(right.status).toBe(200);
    expect(right.text).toContain('seatstream_sse_connections');
  });
});
