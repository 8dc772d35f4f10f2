import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../support/server.js';
import { bearer, call, from } from '../support/trust.js';

const VENUE = 200; // the demo schedule: 10 rows of 20
const SESSIONS = 20;

/**
 * One address scripts a grab of the whole venue with many guest sessions, holding seats two at a
 * time and moving on to its next session whenever one is refused. With the defaults on (rate
 * limits, 10 seats per user, 40 per address) it must end holding fewer than half the venue.
 */
async function grab(server: TestServer, headers: (i: number) => Record<string, string>) {
  const started = performance.now();
  const refusals = new Map<string, number>();
  let requests = 0;
  let next = 1;
  for (let session = 0; session < SESSIONS && next <= VENUE; session++) {
    const created = await call(server.url, '/api/session', { method: 'POST', headers: headers(requests++) });
    if (created.status !== 200) {
      refusals.set(`session ${created.status}`, (refusals.get(`session ${created.status}`) ?? 0) + 1);
      continue;
    }
    while (next <= VENUE) {
      const seatIds = [next, next + 1].filter((id) => id <= VENUE);
      const response = await call(server.url, '/api/schedules/1/seats/hold', {
        method: 'POST',
        body: { seatIds },
        headers: { ...bearer(created.body.token), ...headers(requests++) },
      });
      if (response.status !== 200) {
        const why = response.body?.error ?? String(response.status);
        refusals.set(why, (refusals.get(why) ?? 0) + 1);
        break; // this session is spent: try with the next one
      }
      next += seatIds.length;
    }
  }
  const elapsedMs = performance.now() - started;
  const seats = await call(server.url, '/api/schedules/1/seats');
  const held = seats.body.filter((s: { status: string }) => s.status === 'HELD').length;
  return { held, elapsedMs, requests, refusals: Object.fromEntries(refusals) };
}

describe('a scripted venue grab from one address', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('with the defaults on, 20 guest sessions end holding fewer than half of a 200-seat venue', async () => {
    server = await startServer({ rateLimits: true, maxHoldPerIp: 40, maxHoldPerUser: 10 });
    const result = await grab(server, () => ({}));
    console.log(
      `venue grab, one address, ${SESSIONS} guest sessions: ${result.held} of ${VENUE} seats held ` +
        `after ${result.requests} requests in ${Math.round(result.elapsedMs)} ms; ` +
        `refusals ${JSON.stringify(result.refusals)}`,
    );
    expect(result.held).toBeLessThan(VENUE / 2);
    expect(result.held).toBe(40); // exactly the address cap: the limit, not luck, stopped it
    expect(result.refusals.ADDRESS_HOLD_LIMIT).toBeGreaterThan(0);
  });

  it('a rotating X-Forwarded-For (proxy not trusted) does not escape the address cap', async () => {
    server = await startServer({ rateLimits: true, maxHoldPerIp: 40, maxHoldPerUser: 10 });
    const result = await grab(server, (i) => from(`203.0.113.${i % 250}`));
    console.log(
      `venue grab, rotating X-Forwarded-For: ${result.held} of ${VENUE} seats held ` +
        `in ${Math.round(result.elapsedMs)} ms; refusals ${JSON.stringify(result.refusals)}`,
    );
    expect(result.held).toBe(40);
  });
});
