import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { userTopic } from '../../src/hub/user-topic.js';
import { redisTestsEnabled } from '../support/redis-server.js';
import { SseClient } from '../support/sse-client.js';
import type { Config } from '../../src/config.js';
import {
  eventually,
  newGuest,
  post,
  postWithToken,
  startServer,
  subscribed,
  type TestServer,
} from '../support/server.js';
import { suiteRedis } from '../support/suite-redis.js';

const enabled = redisTestsEnabled('private notification streams over Redis');
const SECRET = 'a-session-secret-shared-by-all-instances';
const ADMIN = 'admin-token-for-tests-0123';

describe.skipIf(!enabled)('private notification streams on two instances over Redis', () => {
  const redis = suiteRedis();
  let instances: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(instances.map((i) => i.close()));
    instances = [];
  });

  async function two(overrides: Partial<Config> = {}): Promise<TestServer[]> {
    const prefix = redis.prefix('notify');
    for (let i = 0; i < 2; i++) {
      instances.push(
        await startServer({
          redisUrl: redis.url,
          redisKeyPrefix: prefix,
          sessionSecret: SECRET,
          adminToken: ADMIN,
          heartbeatStyle: 'comment',
          ...overrides,
        }),
      );
    }
    return instances;
  }

  it('warns of a short hold before it expires, then tells it expired: once each, with two sweepers', async () => {
    // Both instances sweep every 25 ms; the hold lives 900 ms and is announced 600 ms ahead.
    const [one, other] = await two({ holdTtlMs: 900, holdWarningMs: 600, holdSweepMs: 25 });
    const alice = await newGuest(one!.url);
    const stream = await SseClient.connect(`${other!.url}/api/notifications/events`, {
      authorization: `Bearer ${alice.token}`,
    });
    await subscribed(other!, userTopic(alice.userId));
    const held = await post(one!.url, '/api/schedules/1/seats/hold', { seatIds: [8, 7] }, alice);
    expect(held.status).toBe(200);
    await stream.waitFor((c) => c.events.some((e) => e.event === 'hold-expired'), 5_000, 'hold-expired');
    // A sentinel after the expiry: any repeat from the other sweeper would have come before it.
    await postWithToken(one!.url, `/api/users/${alice.userId}/notifications`, { data: 'end' }, ADMIN);
    await stream.waitFor((c) => c.events.some((e) => e.data === '"end"'), 5_000, 'sentinel');
    const told = stream.events.filter((e) => e.event !== 'connected' && e.data !== '"end"');
    const data = { scheduleId: 1, seatIds: [7, 8], expiresAt: held.body.expiresAt };
    expect(told.map((e) => [e.event, JSON.parse(e.data)])).toEqual([
      ['hold-expiring', data],
      ['hold-expired', data],
    ]);
  });

  it('delivers a notice to two tabs on two instances, in order; resumes; DELETE ends both', async () => {
    const [one, other] = await two();
    const alice = await newGuest(one!.url);
    const bob = await newGuest(other!.url);
    const tab1 = await SseClient.connect(`${one!.url}/api/notifications/events`, {
      authorization: `Bearer ${alice.token}`,
    });
    // The second tab is a real EventSource (as a browser), with the token in the query.
    const received: Array<{ type: string; id: string; data: string; at: number }> = [];
    const tab2 = new EventSource(`${other!.url}/api/notifications/events?access_token=${alice.token}`);
    for (const type of ['connected', 'message', 'order-paid', 'deleted']) {
      tab2.addEventListener(type, (e) =>
        received.push({ type, id: e.lastEventId, data: e.data, at: performance.now() }),
      );
    }
    const bobTab = await SseClient.connect(`${one!.url}/api/notifications/events`, {
      authorization: `Bearer ${bob.token}`,
    });
    await subscribed(one!, userTopic(alice.userId));
    await subscribed(other!, userTopic(alice.userId));
    await subscribed(one!, userTopic(bob.userId));

    const started = performance.now();
    const first = await postWithToken(
      other!.url,
      `/api/users/${alice.userId}/notifications`,
      { event: 'order-paid', data: { seatIds: [7] } },
      ADMIN,
    );
    expect(first.status).toBe(202);
    await tab1.waitFor((c) => c.events.length >= 2, 5_000, 'first notice');
    const tab1Delay = performance.now() - started;
    await eventually(() => expect(received.length).toBeGreaterThanOrEqual(2));
    const tab2Delay = received[1]!.at - started;
    console.log(`POST → tab on instance 1: ${tab1Delay.toFixed(1)} ms; tab on instance 2: ${tab2Delay.toFixed(1)} ms`);

    const second = await postWithToken(one!.url, `/api/users/${alice.userId}/notifications`, { data: 2 }, ADMIN);
    // Bob's sentinel after Alice's notices: when it has arrived on his instance, hers have too.
    await postWithToken(other!.url, `/api/users/${bob.userId}/notifications`, { data: 'bob' }, ADMIN);
    await bobTab.waitFor((c) => c.events.length >= 2, 5_000, 'bob sentinel');
    await tab1.waitFor((c) => c.events.length >= 3, 5_000, 'second notice');
    await eventually(() => expect(received.length).toBeGreaterThanOrEqual(3));
    const expected = [
      ['order-paid', first.body.eventId, '{"seatIds":[7]}'],
      ['message', second.body.eventId, '2'],
    ];
    expect(tab1.events.slice(1).map((e) => [e.event, e.id, e.data])).toEqual(expected);
    expect(received.slice(1).map((e) => [e.type, e.id, e.data])).toEqual(expected);
    expect(received[0]).toMatchObject({ type: 'connected', id: '', data: JSON.stringify({ userId: alice.userId }) });
    expect(bobTab.events.slice(1).map((e) => e.data)).toEqual(['"bob"']);

    // Tab 1 comes back on the other instance from the first id: the second notice, then a new one.
    tab1.close();
    const back = await SseClient.connect(`${other!.url}/api/notifications/events`, {
      authorization: `Bearer ${alice.token}`,
      'last-event-id': first.body.eventId,
    });
    await back.waitFor((c) => c.events.length >= 2, 5_000, 'resumed');
    await subscribed(other!, userTopic(alice.userId), 2);
    const third = await postWithToken(one!.url, `/api/users/${alice.userId}/notifications`, { data: 3 }, ADMIN);
    await back.waitFor((c) => c.events.length >= 3, 5_000, 'third');
    expect(back.events.slice(1).map((e) => [e.id, e.data])).toEqual([
      [second.body.eventId, '2'],
      [third.body.eventId, '3'],
    ]);

    // The service ends every stream of Alice, from the instance where none of hers is open now.
    await subscribed(one!, userTopic(bob.userId));
    const ended = await fetch(`${one!.url}/api/users/${alice.userId}/streams`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(ended.status).toBe(204);
    await back.waitForEnd();
    // The stream's last block is the data heartbeat that carries its `retry:`.
    const notices = () => received.filter((e) => !e.data.includes('"isHeartbeat":true'));
    await eventually(() => expect(notices().at(-1)?.type).toBe('deleted'));
    tab2.close();
    expect(bobTab.ended).toBe(false);
    bobTab.close();
  });
});
