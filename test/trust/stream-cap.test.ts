import { afterEach, describe, expect, it } from 'vitest';
import { SseClient } from '../support/sse-client.js';
import { eventually, startServer, type TestServer } from '../support/server.js';
import { call, from } from '../support/trust.js';

const PATH = '/api/schedules/1/seats/events';

/** Open streams are capped per client address (per instance); other addresses are not affected. */
describe('streams per address', () => {
  let server: TestServer | undefined;
  const clients: SseClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server?.close();
    server = undefined;
  });
  const open = async (headers: Record<string, string> = {}) => {
    const client = await SseClient.connect(server!.url + PATH, headers);
    clients.push(client);
    return client;
  };

  it('over the cap from one address is 429 while another address still connects', async () => {
    server = await startServer({ rateLimits: true, maxStreamsPerIp: 2, trustProxy: ['127.0.0.1'] });
    const first = await open(from('192.0.2.1'));
    const second = await open(from('192.0.2.1'));
    expect([first.status, second.status]).toEqual([200, 200]);

    const refused = await call(server.url, PATH, { headers: from('192.0.2.1') });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const other = await open(from('192.0.2.2'));
    expect(other.status).toBe(200);

    // A closed stream gives its slot back.
    first.close();
    await eventually(async () => {
      const again = await open(from('192.0.2.1'));
      expect(again.status).toBe(200);
    });
  });

  it('without a trusted proxy, X-Forwarded-For does not make another address', async () => {
    server = await startServer({ rateLimits: true, maxStreamsPerIp: 2 });
    await open(from('192.0.2.1'));
    await open(from('192.0.2.2'));
    const refused = await call(server.url, PATH, { headers: from('192.0.2.3') });
    expect(refused.status).toBe(429);
  });
});
