import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { call, from, type Reply } from '../support/trust.js';

const PER_MINUTE = 30; // the default RATE_LIMIT_SESSIONS

async function createSessions(server: TestServer, count: number, headers: (i: number) => Record<string, string>) {
  const replies: Reply[] = [];
  // Ten at a time: a client as fast as it can be without opening hundreds of sockets at once.
  for (let i = 0; i < count; i += 10) {
    const batch = Array.from({ length: Math.min(10, count - i) }, (_, j) =>
      call(server.url, '/api/session', { method: 'POST', headers: headers(i + j) }),
    );
    replies.push(...(await Promise.all(batch)));
  }
  return replies;
}

describe('guest session creation is limited per client address', () => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  const start = async (overrides = {}) => {
    const server = await startServer({ rateLimits: true, ...overrides });
    servers.push(server);
    return server;
  };

  it('300 creations from one address: all past the limit are 429 with Retry-After and RATE_LIMITED', async () => {
    const server = await start();
    const replies = await createSessions(server, 300, () => ({}));
    const ok = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status === 429);
    console.log(`300 session creations from one address: ${ok.length} created, ${limited.length} answered 429`);
    expect(ok).toHaveLength(PER_MINUTE);
    expect(limited).toHaveLength(300 - PER_MINUTE);
    for (const reply of limited) {
      expect(reply.body).toMatchObject({ error: 'RATE_LIMITED', message: expect.any(String) });
      expect(reply.body.retryAfter).toBeGreaterThanOrEqual(1);
      expect(reply.body.retryAfter).toBeLessThanOrEqual(60);
      expect(Number(reply.headers.get('retry-after'))).toBe(reply.body.retryAfter);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    }
  });

  it('a rotating X-Forwarded-For does not escape the limit when no proxy is trusted', async () => {
    const server = await start();
    const replies = await createSessions(server, 60, (i) => from(`198.51.100.${i + 1}`));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(PER_MINUTE);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(60 - PER_MINUTE);
  });

  it('does escape it with the loopback proxy trusted (each forwarded address is its own client)', async () => {
    const server = await start({ trustProxy: ['127.0.0.1'] });
    const replies = await createSessions(server, 60, (i) => from(`198.51.100.${i + 1}`));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(60);
    // ...while one forwarded address is still held to its own limit.
    const same = await createSessions(server, 40, () => from('198.51.100.200'));
    expect(same.filter((r) => r.status === 200)).toHaveLength(PER_MINUTE);
  });

  it('a proxy that is not the trusted one cannot pick the address', async () => {
    const server = await start({ trustProxy: ['10.9.9.9'] });
    const replies = await createSessions(server, 40, (i) => from(`198.51.100.${i + 1}`));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(PER_MINUTE);
  });
});
