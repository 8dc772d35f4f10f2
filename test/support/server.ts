import type { FastifyInstance } from 'fastify';
import { defaultConfig, type Config } from '../../src/config.js';
import { buildApp, type BuildOptions } from '../../src/http/app.js';
import { scheduleTopic } from '../../src/seats/seat-events.js';

export interface TestServer {
  app: FastifyInstance;
  /** http://127.0.0.1:<ephemeral port> */
  url: string;
  close(): Promise<void>;
}

/**
 * The config tests run with: the defaults, except that every client is 127.0.0.1, so per-address
 * limits and the hold cool-down are off unless a test of them turns them on.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...defaultConfig,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    rateLimits: false,
    holdCooldownMs: 0,
    shutdownDrainMs: 0,
    ...overrides,
  };
}

/** The real app, listening on an ephemeral loopback port. */
export async function startServer(overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<TestServer> {
  const config = testConfig(overrides);
  const app = await buildApp(config, { logger: false, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

export interface Guest {
  userId: string;
  token: string;
}

export async function newGuest(url: string): Promise<Guest> {
  const response = await fetch(`${url}/api/session`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`session: ${response.status}`);
  return (await response.json()) as Guest;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function post<T = any>(url: string, path: string, body: unknown, guest?: Guest): Promise<ApiResponse<T>> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(guest && { authorization: `Bearer ${guest.token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

export async function get<T = any>(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const response = await fetch(url + path, { headers });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
}

export function hold(url: string, guest: Guest, seatIds: number[], scheduleId = 1) {
  return post(url, `/api/schedules/${scheduleId}/seats/hold`, { seatIds }, guest);
}

export function release(url: string, guest: Guest, seatIds: number[], scheduleId = 1) {
  return post(url, `/api/schedules/${scheduleId}/seats/release`, { seatIds }, guest);
}

/**
 * Waits until `check` passes (polling), for state that settles asynchronously. Its deadline runs on
 * `performance.now()`, so it still times out in a test that fakes `Date`.
 */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * Waits until `count` streams of the schedule are subscribed on this instance, then until the bus
 * delivers the schedule's new events here (with Redis: its channel subscribed and its head known).
 * After this, an event made on any instance reaches those streams: no sleep needed before it.
 */
export async function streaming(server: TestServer, scheduleId: number, count = 1): Promise<void> {
  await subscribed(server, scheduleTopic(scheduleId), count);
}

/** Waits until `count` streams of this instance follow the topic and the bus delivers it here. */
export async function subscribed(server: TestServer, topic: string, count = 1): Promise<void> {
  const { hub } = server.app.seatstream;
  await eventually(() => {
    const subscribed = hub.subscriberCount(topic);
    if (subscribed !== count) throw new Error(`${topic}: ${subscribed} subscribers here, waiting for ${count}`);
  });
  await hub.ready(topic);
}

/** POST with `Authorization: Bearer <token>` (the service's ADMIN_TOKEN, a JWT), or with no credential. */
export async function postWithToken<T = any>(
  url: string,
  path: string,
  body: unknown,
  token: string | undefined,
): Promise<ApiResponse<T>> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T, headers: response.headers };
}

/** What the service's reserve names: the seats, the buyer who must hold them, and the order they are for. */
export interface Order {
  seatIds: number[];
  userId: string;
  orderId: string;
}

/** The service reserves a buyer's held seats for an order (the operator's checkout after payment). */
export function serviceReserve(url: string, serviceToken: string, order: Order, scheduleId = 1) {
  return postWithToken(url, `/api/schedules/${scheduleId}/seats/reserve`, order, serviceToken);
}

/** The service releases seats of anyone, held or reserved (a cancelled payment, a refund). */
export function serviceRelease(url: string, serviceToken: string, seatIds: number[], scheduleId = 1) {
  return postWithToken(url, `/api/schedules/${scheduleId}/seats/release`, { seatIds }, serviceToken);
}

/** The demo's checkout, as the buyer: reserves its own held seats (exists only while `demo` is on). */
export function checkout(url: string, guest: Guest, seatIds: number[], scheduleId = 1) {
  return post(url, `/api/demo/schedules/${scheduleId}/checkout`, { seatIds }, guest);
}

/** `/metrics` (the server must be started with `metricsToken`): its text, after checking it answered 200. */
export async function readMetrics(url: string, metricsToken: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics: ${response.status} ${text}`);
  return text;
}
