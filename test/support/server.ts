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

/** The real app, listening on an ephemeral loopback port. */
export async function startServer(overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<TestServer> {
  const config: Config = { ...defaultConfig, port: 0, host: '127.0.0.1', logLevel: 'silent', ...overrides };
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

export function reserve(url: string, guest: Guest, seatIds: number[], scheduleId = 1) {
  return post(url, `/api/schedules/${scheduleId}/seats/reserve`, { seatIds }, guest);
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
  const { hub } = server.app.seatstream;
  const topic = scheduleTopic(scheduleId);
  await eventually(() => {
    const subscribed = hub.subscriberCount(topic);
    if (subscribed !== count) throw new Error(`${topic}: ${subscribed} subscribers here, waiting for ${count}`);
  });
  await hub.ready(topic);
}
