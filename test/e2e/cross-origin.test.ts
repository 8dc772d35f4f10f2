import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, hold, newGuest, startServer, type TestServer } from '../support/server.js';
import { chromiumNeed, e2eEnabled, launchChromium, newPage, type TestPage } from './support/browser.js';
import { startShopPage, type ShopPage } from './support/shop-page.js';

/**
 * A shop's page on another origin than the API, in headless Chromium: with its origin in
 * CORS_ORIGINS it starts a session, reads the map, holds a seat and follows the stream with
 * `new EventSource(url, { withCredentials: true })`; from an origin not listed, the browser
 * refuses every answer.
 */
const enabled = e2eEnabled('browser e2e (cross-origin)', [chromiumNeed]);

interface ShopRun {
  session?: number;
  map?: number;
  etag?: string | null;
  snapshotId?: string;
  hold?: number;
  holdBody?: { eventId?: string; error?: string };
  event?: { id: string; scheduleSeatId: number; status: string };
  failure?: string;
}

/**
 * Runs in the page: session, map, stream (snapshot first, so the hold is after its position),
 * then a hold with the bearer token or with the cookie alone, and waits for the hold's event.
 */
async function shop(page: Page, api: string, seat: number, auth: 'bearer' | 'cookie'): Promise<ShopRun> {
  return page.evaluate(
    async ({ api, seat, auth }) => {
      const run: Record<string, unknown> = {};
      try {
        const session = await fetch(`${api}/api/session`, { method: 'POST', credentials: 'include' });
        run.session = session.status;
        const { token } = (await session.json()) as { token: string };
        const map = await fetch(`${api}/api/schedules/1/seats`, { credentials: 'include' });
        run.map = map.status;
        run.etag = map.headers.get('etag');
        await map.json();
        const source = new EventSource(`${api}/api/schedules/1/seats/events?snapshot=true`, { withCredentials: true });
        try {
          run.snapshotId = await new Promise<string>((resolve, reject) => {
            source.addEventListener('snapshot', (e) => resolve((e as MessageEvent).lastEventId));
            source.onerror = () => reject(new Error(`EventSource error, readyState ${source.readyState}`));
          });
          const event = new Promise((resolve) => {
            source.onmessage = (e) => {
              const data = JSON.parse(e.data);
              if (!data.isHeartbeat) resolve({ id: e.lastEventId, ...data });
            };
          });
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (auth === 'bearer') headers.authorization = `Bearer ${token}`;
          const hold = await fetch(`${api}/api/schedules/1/seats/hold`, {
            method: 'POST',
            credentials: 'include',
            headers,
            body: JSON.stringify({ seatIds: [seat] }),
          });
          run.hold = hold.status;
          run.holdBody = await hold.json();
          if (hold.ok) run.event = await event;
        } finally {
          source.close();
        }
      } catch (error) {
        run.failure = String(error);
      }
      return run;
    },
    { api, seat, auth },
  ) as Promise<ShopRun>;
}

/** An unlisted page: what its fetch and EventSource make of the API's answers. */
async function refused(page: Page, api: string, token: string) {
  return page.evaluate(
    async ({ api, token }) => {
      const attempt = (request: Promise<Response>) =>
        request.then(
          (response) => `answered ${response.status}`,
          (error: unknown) => `rejected: ${String(error)}`,
        );
      const session = await attempt(fetch(`${api}/api/session`, { method: 'POST', credentials: 'include' }));
      const map = await attempt(fetch(`${api}/api/schedules/1/seats`));
      const hold = await attempt(
        fetch(`${api}/api/schedules/1/seats/hold`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ seatIds: [30] }),
        }),
      );
      const stream = await new Promise<string>((resolve) => {
        const source = new EventSource(`${api}/api/schedules/1/seats/events?snapshot=true`, { withCredentials: true });
        source.onopen = () => resolve('opened');
        source.addEventListener('snapshot', () => resolve('snapshot'));
        source.onerror = () => {
          resolve(`error, readyState ${source.readyState}`);
          source.close();
        };
      });
      return { session, map, hold, stream };
    },
    { api, token },
  );
}

describe.skipIf(!enabled)('a page on another origin, in Chromium', () => {
  /** Lists only 127.0.0.1:<listed>, of its own site: the guest cookie stays SameSite=Lax. */
  let sameSiteApi: TestServer;
  /** Lists localhost:<listed> too, another site: the guest cookie is SameSite=None; Secure. */
  let crossSiteApi: TestServer;
  let listed: ShopPage;
  let unlisted: ShopPage;
  let browser: Browser;

  beforeAll(async () => {
    [listed, unlisted] = [await startShopPage(), await startShopPage()];
    const sameSite = `http://127.0.0.1:${listed.port}`;
    sameSiteApi = await startServer({ corsOrigins: [sameSite], maxHoldPerUser: 0 });
    crossSiteApi = await startServer({ corsOrigins: [sameSite, `http://localhost:${listed.port}`], maxHoldPerUser: 0 });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sameSiteApi?.close();
    await crossSiteApi?.close();
    await listed?.close();
    await unlisted?.close();
  });

  /** A page in a fresh context (its own cookie jar) at `origin`. */
  async function open(origin: string): Promise<TestPage> {
    const created = await newPage(browser);
    await created.page.goto(`${origin}/`);
    return created;
  }

  async function statusOf(api: TestServer, seat: number): Promise<string> {
    const map = await get(api.url, '/api/schedules/1/seats');
    return map.body.find((s: { id: number }) => s.id === seat).status;
  }

  const cases = [
    { page: '127.0.0.1', api: 'same-site', auth: 'bearer', cookie: { sameSite: 'Lax', secure: false } },
    { page: '127.0.0.1', api: 'same-site', auth: 'cookie', cookie: { sameSite: 'Lax', secure: false } },
    { page: '127.0.0.1', api: 'cross-site', auth: 'cookie', cookie: { sameSite: 'None', secure: true } },
    { page: 'localhost', api: 'cross-site', auth: 'bearer', cookie: undefined },
  ] as const;

  it.each(cases)('a listed page at $page ($api API) holds with its $auth and gets the event', async (c) => {
    const api = c.api === 'same-site' ? sameSiteApi : crossSiteApi;
    const { page, errors, context } = await open(`http://${c.page}:${listed.port}`);
    const seat = 11 + cases.indexOf(c);
    const run = await shop(page, api.url, seat, c.auth);
    expect(run.failure).toBeUndefined();
    expect(run).toMatchObject({ session: 200, map: 200, hold: 200 });
    expect(run.etag).toMatch(/^"/); // exposed: a page may revalidate with it
    expect(run.event).toMatchObject({ id: run.holdBody!.eventId, scheduleSeatId: seat, status: 'HELD' });
    expect(await statusOf(api, seat)).toBe('HELD');
    // From localhost the API's cookie is a third-party cookie: Chromium's context does not keep it.
    const cookies = (await context.cookies()).map((k) => ({ sameSite: k.sameSite, secure: k.secure }));
    expect(cookies).toEqual(c.cookie ? [c.cookie] : []);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a listed page follows /api/events?schedules=1: the cursor is a `cursor` event and its lastEventId', async () => {
    const { page, context } = await open(`http://localhost:${listed.port}`);
    const url = `${crossSiteApi.url}/api/events?schedules=1&snapshot=true`;
    await page.evaluate((url) => {
      const w = window as unknown as { cursors: Array<[string, string]>; snapshot: boolean };
      w.cursors = [];
      const source = new EventSource(url, { withCredentials: true });
      source.addEventListener('snapshot', () => (w.snapshot = true));
      source.addEventListener('cursor', (e) =>
        w.cursors.push([(e as MessageEvent).data, (e as MessageEvent).lastEventId]),
      );
    }, url);
    await page.waitForFunction(() => (window as unknown as { snapshot?: boolean }).snapshot === true, undefined, {
      timeout: 5_000,
    });
    const held = await hold(crossSiteApi.url, await newGuest(crossSiteApi.url), [40]);
    const cursor = `1:${held.body.eventId}`;
    await page.waitForFunction(
      (cursor) => (window as unknown as { cursors: string[][] }).cursors.some(([data]) => data === cursor),
      cursor,
      { timeout: 5_000 },
    );
    const cursors = await page.evaluate(() => (window as unknown as { cursors: string[][] }).cursors);
    expect(cursors.at(-1)).toEqual([cursor, cursor]);
    await context.close();
  });

  it('another site’s page cannot hold with the cookie alone: Chromium keeps no third-party cookie', async () => {
    const { page, context } = await open(`http://localhost:${listed.port}`);
    const run = await shop(page, crossSiteApi.url, 20, 'cookie');
    expect(run).toMatchObject({ session: 200, map: 200, hold: 401, holdBody: { error: 'UNAUTHORIZED' } });
    expect(await context.cookies()).toEqual([]);
    expect(await statusOf(crossSiteApi, 20)).toBe('AVAILABLE');
    await context.close();
  });

  it('an unlisted page is refused: fetch rejects, EventSource errors, the hold never reaches the API', async () => {
    const { page, context } = await open(`http://127.0.0.1:${unlisted.port}`);
    const session = await fetch(`${crossSiteApi.url}/api/session`, { method: 'POST' });
    const { token } = (await session.json()) as { token: string };
    const result = await refused(page, crossSiteApi.url, token);
    expect(result).toEqual({
      session: expect.stringMatching(/^rejected: TypeError: Failed to fetch/),
      map: expect.stringMatching(/^rejected: TypeError: Failed to fetch/),
      hold: expect.stringMatching(/^rejected: TypeError: Failed to fetch/),
      stream: 'error, readyState 2',
    });
    // The hold needed a preflight, which the API answered without CORS headers: it was never sent.
    expect(await statusOf(crossSiteApi, 30)).toBe('AVAILABLE');
    await context.close();
  });
});
