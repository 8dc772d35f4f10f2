import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-server.js';
import { newGuest, post, type Guest } from '../support/server.js';
import { SseClient } from '../support/sse-client.js';
import {
  assertClientBuilt,
  chromiumNeed,
  e2eEnabled,
  launchChromium,
  newPage,
  screenshot,
  type TestPage,
} from './support/browser.js';
import { openDemo, pageStatuses, serverMap, watchConnection } from './support/demo-page.js';
import { openStreams, startInstance, type Instance } from './support/instances.js';
import { nginxNeed, startNginx, type Nginx } from './support/nginx.js';

/**
 * The path browsers take in production: Chromium → nginx (deploy/nginx.conf) → two seatstream
 * processes on one Redis. Instances are killed under a live page; every delay is printed.
 */
const enabled = e2eEnabled('browser e2e (nginx failover)', [
  chromiumNeed,
  nginxNeed,
  { name: 'redis-server', present: redisServerAvailable(), install: 'apt-get install redis-server' },
]);

describe.skipIf(!enabled)('nginx in front of two instances on one Redis, in Chromium', () => {
  let redis: RedisProcess;
  let nginx: Nginx;
  let browser: Browser;
  const ports: [number, number] = [0, 0];
  const instances: Array<Instance | undefined> = [undefined, undefined];
  const pages: TestPage[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    assertClientBuilt();
    redis = await startRedis();
    env = {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix('e2e'),
      SESSION_SECRET: 'a-session-secret-shared-by-both-instances',
      HEARTBEAT_MS: '1000',
      MAX_HOLD_PER_USER: '0',
      // Every client here (the pages through nginx, the test's own requests) comes from
      // 127.0.0.1, with or without TRUST_PROXY, so per-address limits would count the whole suite
      // as one client; keepChanging (one guest, a write every 40 ms) holds again seats it released a
      // moment before, which the cool-down refuses. With both on, the writes it counts on dried
      // up (a run wrote 11 events instead of ~24, none while the page was away). Limits have
      // their own tests (test/http, and the demo page's suite for what the page shows).
      RATE_LIMITS: 'off',
      HOLD_COOLDOWN_MS: '0',
    };
    // Each on a port it managed to bind; kept as soon as it is up, so afterAll stops it even when
    // the other one fails to start.
    const started = await Promise.allSettled(
      (['a', 'b'] as const).map(async (name, i) => {
        instances[i] = await startInstance(name, 0, env);
        ports[i] = instances[i].port;
      }),
    );
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    nginx = await startNginx(0, [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[1]}`]);
    browser = await launchChromium();
  }, 60_000);

  afterEach(async () => {
    for (const p of pages.splice(0)) await p.context.close();
    // Every test starts with both instances up (a killed one comes back on its port).
    for (const i of [0, 1]) {
      if (!instances[i]?.running()) instances[i] = await startInstance(i === 0 ? 'a' : 'b', ports[i]!, env);
    }
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await Promise.all(instances.map((i) => i?.kill('SIGKILL')));
    await redis?.stop();
  });

  /** A demo page through nginx, and the instance its stream landed on. */
  async function pageThroughNginx(): Promise<{ tp: TestPage; serving: Instance; other: Instance }> {
    const tp = await newPage(browser);
    pages.push(tp);
    await openDemo(tp.page, `${nginx.url}/`, 200);
    await watchConnection(tp.page);
    // The streams of the previous test's pages are gone once each instance counts this one only.
    await expect.poll(() => Promise.all(instances.map((i) => openStreams(i!))).then((c) => c.sort())).toEqual([0, 1]);
    const [a, b] = instances as [Instance, Instance];
    return (await openStreams(a)) === 1 ? { tp, serving: a, other: b } : { tp, serving: b, other: a };
  }

  /** Holds and releases on one instance, one every `everyMs`, until stopped. */
  function keepChanging(
    instance: Instance,
    guest: Guest,
    firstSeat: number,
    everyMs = 40,
  ): { stop(): Promise<number>; writtenAt: number[] } {
    let running = true;
    let written = 0;
    const writtenAt: number[] = [];
    const loop = (async () => {
      const held: number[] = [];
      for (let i = 0; running; i++) {
        const release = i % 3 === 2 && held.length > 0;
        const seat = release ? held.shift()! : firstSeat + (i % 60);
        const response = await post(
          instance.url,
          `/api/schedules/1/seats/${release ? 'release' : 'hold'}`,
          { seatIds: [seat] },
          guest,
        );
        if (response.status === 200) {
          written += response.body.events;
          if (response.body.events > 0) writtenAt.push(Date.now());
          if (!release && response.body.events > 0) held.push(seat);
        }
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    })();
    return {
      writtenAt,
      stop: async () => {
        running = false;
        await loop;
        return written;
      },
    };
  }

  async function reconnectedAfter(
    tp: TestPage,
    since: number,
    timeoutMs = 10_000,
  ): Promise<{ liveAt: number; states: Array<{ status: string; at: number; delayMs?: number }> }> {
    const handle = await tp.page.waitForFunction(
      (t) => window.__states.find((s) => s.status === 'live' && s.at >= t)?.at,
      since,
      { timeout: timeoutMs },
    );
    return { liveAt: (await handle.jsonValue()) as number, states: await tp.page.evaluate(() => window.__states) };
  }

  it('SIGKILL of the serving instance: the page reconnects via nginx, map equals GET /seats, no reload', async () => {
    const { tp, serving, other } = await pageThroughNginx();
    await tp.page.evaluate(() => ((window as unknown as { marker: string }).marker = 'same document'));
    const guest = await newGuest(other.url);
    const changes = keepChanging(other, guest, 61);
    await tp.page.waitForFunction(() => window.seatstream.stats.events >= 5);

    const killedAt = Date.now();
    expect(await serving.kill('SIGKILL')).toBe(null);
    const { liveAt, states } = await reconnectedAfter(tp, killedAt);
    await tp.page.waitForFunction(
      (n) => window.seatstream.stats.events >= n,
      (await tp.page.evaluate(() => window.seatstream.stats.events)) + 5,
    );
    const written = await changes.stop();

    const truth = await serverMap(nginx.url, 1);
    const consistentFrom = Date.now();
    await expect.poll(() => pageStatuses(tp.page), { timeout: 2000 }).toEqual(truth.seats);
    await expect.poll(() => tp.page.textContent('#last-event-id')).toBe(truth.lastEventId);
    const settleMs = Date.now() - consistentFrom;
    expect(await tp.page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same document');
    const stats = await tp.page.evaluate(() => window.seatstream.stats);
    expect(stats).toMatchObject({ snapshots: 1, duplicates: 0, resyncs: 0 });
    expect(stats.connections).toBeGreaterThanOrEqual(2);
    expect(await openStreams(other)).toBe(1);
    const retry = states.find((s) => s.status === 'reconnecting' && s.at >= killedAt);
    await screenshot(tp.page, 'nginx-after-sigkill');
    const whileAway = changes.writtenAt.filter((t) => t >= killedAt && t <= liveAt).length;
    console.log(
      `e2e SIGKILL: page live again through nginx ${liveAt - killedAt} ms after the kill ` +
        `(client backoff drew ${retry?.delayMs} ms); ` +
        `${written} events written on the other instance during the test, ` +
        `${whileAway} of them while the page was away; ` +
        `map equal to GET /seats (${truth.lastEventId}) ${settleMs} ms after the writes stopped; ` +
        'no snapshot, no reload',
    );
    expect(liveAt - killedAt).toBeLessThan(3000);
    expect(tp.errors).toEqual([]);
  });

  it('SIGTERM: clients retry after a jittered delay and resume on the other instance without a snapshot', async () => {
    const { tp, serving, other } = await pageThroughNginx();
    // The original design's browser client too, through nginx, on the same instance: it obeys the
    // server's retry hint and resumes with Last-Event-ID by itself (nginx round-robins: try again
    // until its stream lands there).
    const html = readFileSync(new URL('./fixtures/original-client.html', import.meta.url), 'utf8');
    let original: TestPage | undefined;
    for (let tries = 0; tries < 10 && !original; tries++) {
      const candidate = await newPage(browser);
      await candidate.page.route(`${nginx.url}/original-client.html`, (route) =>
        route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }),
      );
      await candidate.page.goto(`${nginx.url}/original-client.html`);
      await expect.poll(() => candidate.console.includes('log: SSE connection established')).toBe(true);
      if ((await openStreams(serving)) === 2) original = candidate;
      else await candidate.context.close();
    }
    if (!original) throw new Error('the original client never landed on the instance serving the demo page');
    pages.push(original);
    await original.page.evaluate(
      `window.opens = []; eventSource.addEventListener('open', () => opens.push(Date.now()));`,
    );
    // Raw clients on the same instance show what the server tells every client on the wire.
    const raw = await Promise.all(
      [1, 2, 3, 4].map(() => SseClient.connect(`${serving.url}/api/schedules/1/seats/events`)),
    );
    const guest = await newGuest(other.url);
    const change = (op: string, seat: number) =>
      post(other.url, `/api/schedules/1/seats/${op}`, { seatIds: [seat] }, guest);
    await change('hold', 5);
    await tp.page.waitForFunction(
      () => document.querySelector('[data-seat-id="5"]')?.getAttribute('data-status') === 'HELD',
    );
    await expect.poll(() => original.page.getAttribute('[data-seat-id="5"]', 'class')).toBe('seat held');
    const before = await tp.page.evaluate(() => window.seatstream.stats);

    const termAt = Date.now();
    const exited = serving.kill('SIGTERM');
    await Promise.all(raw.map((c) => c.waitForEnd(5000)));
    await change('hold', 6); // while the clients are away
    const hints = raw.map((c) => c.retries.at(-1)!);
    const { liveAt, states } = await reconnectedAfter(tp, termAt);
    expect(await exited).toBe(0);
    const originalOpenAt = (await original.page
      .waitForFunction((t) => (window as unknown as { opens: number[] }).opens.find((at) => at >= t), termAt, {
        timeout: 5000,
      })
      .then((h) => h.jsonValue())) as number;

    // Resumed on the other instance: what happened meanwhile and later arrives, no snapshot needed.
    await change('release', 5);
    const truth = await serverMap(other.url, 1);
    await expect.poll(() => pageStatuses(tp.page)).toEqual(truth.seats);
    await expect.poll(() => tp.page.textContent('#last-event-id')).toBe(truth.lastEventId);
    const after = await tp.page.evaluate(() => window.seatstream.stats);
    expect(after.snapshots).toBe(before.snapshots);
    expect(after.connections).toBeGreaterThan(before.connections);
    expect(after.duplicates).toBe(0);
    await expect
      .poll(() => original.page.$$eval('[data-seat-id]', (seats) => seats.slice(4, 6).map((e) => e.className)))
      .toEqual(['seat available', 'seat held']);
    expect(await openStreams(other)).toBe(2);

    const retry = states.find((s) => s.status === 'reconnecting' && s.at >= termAt);
    console.log(
      `e2e SIGTERM: retry hints on the wire ${hints.join(', ')} ms; ` +
        `demo page live again on the other instance ${liveAt - termAt} ms after SIGTERM ` +
        `(client backoff drew ${retry?.delayMs} ms), resumed without a snapshot; ` +
        "the original design's EventSource reconnected by itself " +
        `${originalOpenAt - termAt} ms after SIGTERM (following its retry hint) and resumed with Last-Event-ID`,
    );
    for (const hint of hints) {
      expect(hint).toBeGreaterThanOrEqual(250);
      expect(hint).toBeLessThanOrEqual(1250);
    }
    expect(new Set(hints).size).toBeGreaterThan(1); // jittered
    expect(liveAt - termAt).toBeLessThan(2500);
    expect(originalOpenAt - termAt).toBeGreaterThanOrEqual(250);
    expect(originalOpenAt - termAt).toBeLessThan(2500);
    raw.forEach((c) => {
      c.close();
    });
    expect([...tp.errors, ...original.errors]).toEqual([]);
  });
});
