import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, hold, newGuest, startServer, type TestServer } from '../support/server.js';
import { e2eEnabled } from './support/browser.js';
import { nginxNeed, startNginx, type Nginx } from './support/nginx.js';

/**
 * deploy/nginx.conf keeps idle connections to the instances open for the next request. Without
 * that, every hold, map read and health check through nginx opens a connection of its own, and
 * during a reconnect storm a new connection waits in the instance's accept queue behind thousands
 * of reopening streams: 0.5–1.2 s in W6-kill (docs/benchmarks.md, Reconnect storms).
 */
const enabled = e2eEnabled('nginx upstream connections', [nginxNeed]);

describe.skipIf(!enabled)('nginx in front of an instance', () => {
  let server: TestServer;
  let nginx: Nginx;
  let accepted = 0;

  beforeAll(async () => {
    server = await startServer();
    server.app.server.on('connection', () => accepted++);
    const upstream = new URL(server.url).host;
    nginx = await startNginx(0, [upstream, upstream]);
  }, 30_000);

  afterAll(async () => {
    await nginx?.stop();
    await server?.close();
  });

  it('sends request after request over the connections it already has to the instance', async () => {
    const guest = await newGuest(nginx.url);
    const before = accepted;
    for (let seat = 1; seat <= 5; seat++) {
      expect((await get(nginx.url, '/healthz')).status).toBe(200);
      expect((await hold(nginx.url, guest, [seat])).status).toBe(200);
      expect((await get(nginx.url, '/api/schedules/1/seats')).status).toBe(200);
    }
    // 15 requests; the two `server` lines both name this instance: at most one connection each.
    expect(accepted - before).toBeLessThanOrEqual(2);
  });
});
