import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:http2';
import { get as httpsGet } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hold, newGuest, startServer, streaming, type TestServer } from '../support/server.js';
import { chromiumNeed, e2eEnabled, launchChromium } from './support/browser.js';
import { nginxNeed, startNginx, type Nginx } from './support/nginx.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';
import { makeCertificate, opensslNeed, type Certificate } from './support/tls.js';

/**
 * Why TLS_CERT_FILE / TLS_KEY_FILE and nginx's TLS listener exist: over HTTP/1.1 Chromium opens at
 * most six connections per origin, and each open EventSource holds one, so a buyer's seventh seat
 * map never connects. Over HTTP/2 all of them share one connection. One page opens eight streams.
 */
const enabled = e2eEnabled('browser e2e (HTTP/2)', [chromiumNeed, nginxNeed, opensslNeed]);

const STREAMS = 8;
const EVENTS = '/api/schedules/1/seats/events?snapshot=true';

interface StreamState {
  open: boolean;
  snapshot: boolean;
  events: string[];
}

declare global {
  interface Window {
    __streams: Array<StreamState & { source: EventSource }>;
  }
}

/**
 * Opens `${origin}/readyz` (a same-origin page) and reports the protocol it was loaded over. Its
 * CSP (the API's: `default-src 'none'`) would refuse the streams this test opens from it, as
 * from a page of the operator's own: the browser is told to leave CSP out.
 */
async function openPage(browser: Browser, origin: string): Promise<{ page: Page; protocol: string }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, bypassCSP: true });
  const page = await context.newPage();
  const response = await page.goto(`${origin}/readyz`);
  expect(response?.status()).toBe(200);
  const protocol = await page.evaluate(
    () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
  );
  return { page, protocol };
}

/** In the page: `n` EventSources to the seat stream, each recording open, snapshot and events. */
async function openStreams(page: Page, n: number): Promise<void> {
  await page.evaluate(
    ({ n, path }) => {
      window.__streams = Array.from({ length: n }, () => {
        const source = new EventSource(path);
        const state = { open: false, snapshot: false, events: [] as string[], source };
        source.onopen = () => (state.open = true);
        source.addEventListener('snapshot', () => (state.snapshot = true));
        source.onmessage = (e) => {
          if (!JSON.parse(e.data).isHeartbeat) state.events.push(e.lastEventId);
        };
        return state;
      });
    },
    { n, path: EVENTS },
  );
}

async function states(page: Page): Promise<StreamState[]> {
  return page.evaluate(() => window.__streams.map(({ open, snapshot, events }) => ({ open, snapshot, events })));
}

/** Waits until exactly `count` of the page's streams have received event `id`. */
async function received(page: Page, id: string, count: number): Promise<void> {
  await page.waitForFunction(
    ([id, count]) => window.__streams.filter((s) => s.events.includes(id as string)).length === count,
    [id, count] as const,
    { timeout: 10_000 },
  );
}

/** A hold made by the page itself (over its own connection), its event id. */
async function holdFromPage(page: Page, seat: number): Promise<string> {
  return page.evaluate(async (seat) => {
    const session = await fetch('/api/session', { method: 'POST' });
    const { token } = (await session.json()) as { token: string };
    const held = await fetch('/api/schedules/1/seats/hold', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ seatIds: [seat] }),
    });
    return ((await held.json()) as { eventId: string }).eventId;
  }, seat);
}

/** A hold made from this process over plain HTTP, its event id. */
async function holdFromHere(server: TestServer, seat: number): Promise<string> {
  const held = await hold(server.url, await newGuest(server.url), [seat]);
  expect(held.status).toBe(200);
  return held.body.eventId as string;
}

/** An HTTP/1.1 GET over TLS (no ALPN offered), certificate not checked; resolves with the response. */
function http1Get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { rejectUnauthorized: false }, resolve).once('error', reject);
  });
}

/** Resolves when `promise` does, rejects if it takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe.skipIf(!enabled)('eight seat maps in one page', () => {
  let dir: string;
  let certificate: Certificate;
  /** TLS_CERT_FILE / TLS_KEY_FILE set: HTTP/2 over TLS, HTTP/1.1 allowed. */
  let tlsApi: TestServer;
  let tlsUrl: string;
  /** HTTP versions of the stream requests the TLS server saw. */
  const versions: string[] = [];
  /** Plain HTTP/1.1, opened directly by the page. */
  let plainApi: TestServer;
  /** Plain HTTP/1.1 behind nginx's TLS + HTTP/2 listener. */
  let proxiedApi: TestServer;
  let nginx: Nginx;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seatstream-h2-'));
    certificate = makeCertificate(dir);
    const tls = { tlsCertFile: certificate.certFile, tlsKeyFile: certificate.keyFile, maxHoldPerUser: 0 };
    tlsApi = await startServer(tls);
    tlsUrl = tlsApi.url.replace(/^http:/, 'https:');
    tlsApi.app.server.on('request', (request: IncomingMessage) => {
      if (request.url?.startsWith('/api/schedules/1/seats/events')) versions.push(request.httpVersion);
    });
    plainApi = await startServer({ maxHoldPerUser: 0 });
    proxiedApi = await startServer({ maxHoldPerUser: 0, trustProxy: 1 });
    const upstream = proxiedApi.url.replace(/^http:\/\//, '');
    nginx = await startNginx(0, [upstream, upstream], { tls: certificate });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await nginx?.stop();
    await tlsApi?.close();
    await plainApi?.close();
    await proxiedApi?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('directly over HTTP/2 (TLS_CERT_FILE): all eight open and get the hold’s event', async () => {
    const { page, protocol } = await openPage(browser, tlsUrl);
    expect(protocol).toBe('h2');
    await openStreams(page, STREAMS);
    await streaming(tlsApi, 1, STREAMS);
    const id = await holdFromPage(page, 11);
    await received(page, id, STREAMS);
    expect((await states(page)).map((s) => s.open && s.snapshot)).toEqual(Array(STREAMS).fill(true));
    expect(versions).toEqual(Array(STREAMS).fill('2.0'));
    await page.context().close();
  });

  it('through nginx’s TLS + HTTP/2 listener: all eight open and get the hold’s event', async () => {
    const { page, protocol } = await openPage(browser, nginx.tlsUrl);
    expect(protocol).toBe('h2');
    await openStreams(page, STREAMS);
    await streaming(proxiedApi, 1, STREAMS);
    const id = await holdFromHere(proxiedApi, 12);
    await received(page, id, STREAMS);
    expect((await states(page)).map((s) => s.open && s.snapshot)).toEqual(Array(STREAMS).fill(true));
    await page.context().close();
  });

  it('over plain HTTP/1.1 only six of eight open; closing one lets the seventh in', async () => {
    const { page, protocol } = await openPage(browser, plainApi.url);
    expect(protocol).toBe('http/1.1');
    await openStreams(page, STREAMS);
    await streaming(plainApi, 1, 6);
    const id = await holdFromHere(plainApi, 13);
    await received(page, id, 6);
    // The two others wait in Chromium's queue for a connection: not open, never reached the server.
    let now = await states(page);
    expect(now.map((s) => s.open)).toEqual([true, true, true, true, true, true, false, false]);
    expect(plainApi.app.seatstream.hub.subscriberCount(scheduleTopic(1))).toBe(6);
    // Sentinel: one closes, its connection goes to the seventh (the eighth still waits).
    await page.evaluate(() => window.__streams[0]!.source.close());
    await page.waitForFunction(() => window.__streams[6]!.snapshot, undefined, { timeout: 10_000 });
    now = await states(page);
    expect(now.map((s) => s.open)).toEqual([true, true, true, true, true, true, true, false]);
    await page.context().close();
  });

  it('an HTTP/1.1 client still gets answers and a stream from the TLS server', async () => {
    const ready = await http1Get(`${tlsUrl}/readyz`);
    expect([ready.httpVersion, ready.statusCode]).toEqual(['1.1', 200]);
    ready.resume();
    const stream = await http1Get(`${tlsUrl}${EVENTS}`);
    expect([stream.httpVersion, stream.statusCode]).toEqual(['1.1', 200]);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    let text = '';
    await new Promise<void>((resolve) =>
      stream.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('event: snapshot')) resolve();
      }),
    );
    stream.destroy();
  });

  it('app.close() does not wait for open HTTP/2 streams, idle HTTP/2 sessions or HTTP/1.1 streams', async () => {
    const server = await startServer({ tlsCertFile: certificate.certFile, tlsKeyFile: certificate.keyFile });
    const url = server.url.replace(/^http:/, 'https:');
    // An HTTP/2 session with a stream that is never read, and one that is idle after a request.
    const reading = connect(url, { rejectUnauthorized: false });
    reading.on('error', () => {});
    const unread = reading.request({ ':path': EVENTS });
    unread.on('error', () => {});
    unread.pause();
    const idle = connect(url, { rejectUnauthorized: false });
    idle.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      const request = idle.request({ ':path': '/readyz' });
      request.on('error', reject).on('end', resolve).resume();
    });
    const http1 = await http1Get(`${url}${EVENTS}`);
    http1.on('error', () => {}).resume();
    await streaming(server, 1, 2);
    const started = performance.now();
    await within(server.close(), 3_000, 'app.close()');
    expect(performance.now() - started).toBeLessThan(3_000);
    reading.destroy();
    idle.destroy();
  });
});
