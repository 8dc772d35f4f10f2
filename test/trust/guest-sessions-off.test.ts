import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestTokens } from '../../src/auth/guest-tokens.js';
import { startServer, type TestServer } from '../support/server.js';
import { bearer, call, hs256, JWT_SECRET, SESSION_SECRET } from '../support/trust.js';

/** GUEST_SESSIONS=off: buyers come with the operator's JWT only. */
describe('guest sessions off', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ guestSessions: false, authJwtSecret: JWT_SECRET, sessionSecret: SESSION_SECRET });
  });
  afterAll(() => server.close());

  it('POST /api/session is 404', async () => {
    const response = await call(server.url, '/api/session', { method: 'POST' });
    expect(response.status).toBe(404);
    expect(response.body.error).toBe('NOT_FOUND');
  });

  it('a guest token signed with the very secret is refused: 401', async () => {
    const token = new GuestTokens(SESSION_SECRET, 60_000).issue().token;
    const response = await call(server.url, '/api/schedules/1/seats/hold', {
      method: 'POST',
      body: { seatIds: [1] },
      headers: bearer(token),
    });
    expect(response.status).toBe(401);
  });

  it('a JWT buyer still holds', async () => {
    const response = await call(server.url, '/api/schedules/1/seats/hold', {
      method: 'POST',
      body: { seatIds: [2] },
      headers: bearer(await hs256({ sub: 'jwt-buyer' })),
    });
    expect(response.status).toBe(200);
    expect(response.body.seats[0]).toMatchObject({ id: 2, status: 'HELD', mine: true });
  });

  it('without a credential a hold is 401, telling the caller to sign in', async () => {
    const response = await call(server.url, '/api/schedules/1/seats/hold', { method: 'POST', body: { seatIds: [3] } });
    expect(response.status).toBe(401);
    expect(response.body.message).not.toContain('/api/session');
  });
});
