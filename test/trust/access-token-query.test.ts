import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { newGuest, startServer, type TestServer } from '../support/server.js';
import { bearer, call, capturedLogger } from '../support/trust.js';

/**
 * A browser's EventSource cannot set headers, so stream routes take the credential as
 * `?access_token=`; no other route does, and the token never reaches a log line.
 */
describe('?access_token=', () => {
  let server: TestServer;
  const log = capturedLogger();
  beforeAll(async () => {
    server = await startServer({ logLevel: 'trace' }, { logger: log.logger });
  });
  afterAll(() => server.close());

  it('is accepted on a stream route: a valid token opens the stream', async () => {
    const guest = await newGuest(server.url);
    const client = await SseClient.connect(
      `${server.url}/api/schedules/1/seats/events?snapshot=true&access_token=${encodeURIComponent(guest.token)}`,
    );
    expect(client.status).toBe(200);
    await client.waitFor((c) => c.events.some((e) => e.event === 'snapshot'), 5_000, 'the snapshot');
    client.close();
    expect(log.lines.join('\n')).not.toContain(guest.token);
  });

  it('is read on a stream route: a logged-out token there is 401, not a silent viewer', async () => {
    const guest = await newGuest(server.url);
    const logout = await call(server.url, '/api/session', { method: 'DELETE', headers: bearer(guest.token) });
    expect(logout.status).toBe(204);
    const client = await SseClient.connect(
      `${server.url}/api/schedules/1/seats/events?access_token=${encodeURIComponent(guest.token)}`,
    );
    client.close();
    expect(client.status).toBe(401);
  });

  it('is not a credential anywhere else: a hold with it is 401, the seat map does not mark its seats', async () => {
    const guest = await newGuest(server.url);
    const query = `?access_token=${encodeURIComponent(guest.token)}`;
    const refused = await call(server.url, `/api/schedules/1/seats/hold${query}`, {
      method: 'POST',
      body: { seatIds: [7] },
    });
    expect(refused.status).toBe(401);

    const held = await call(server.url, '/api/schedules/1/seats/hold', {
      method: 'POST',
      body: { seatIds: [8] },
      headers: bearer(guest.token),
    });
    expect(held.status).toBe(200);
    const withHeader = await call(server.url, '/api/schedules/1/seats', { headers: bearer(guest.token) });
    expect(withHeader.body[7]).toMatchObject({ id: 8, mine: true });
    const withQuery = await call(server.url, `/api/schedules/1/seats${query}`);
    expect(withQuery.body[7]).toMatchObject({ id: 8, status: 'HELD' });
    expect(withQuery.body[7].mine).toBeUndefined();
  });

  it('never appears in a log line, while the requests that carried it were logged', async () => {
    const guest = await newGuest(server.url);
    const token = encodeURIComponent(guest.token);
    const client = await SseClient.connect(`${server.url}/api/events?schedules=1&access_token=${token}&snapshot=1`);
    client.close();
    await call(server.url, `/api/schedules/1/seats/hold?x=1&access_token=${token}`, {
      method: 'POST',
      body: { seatIds: [9] },
    });
    await call(server.url, `/api/schedules/999/seats/events?access_token=${token}`);
    const text = log.lines.join('\n');
    expect(text).not.toContain(guest.token);
    expect(text).not.toContain(token);
    const logged = log.lines.filter((line) => line.includes('access_token=[redacted]'));
    expect(logged.length).toBeGreaterThanOrEqual(3);
  });
});
