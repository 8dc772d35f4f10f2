import { afterEach, describe, expect, it } from 'vitest';
import { userTopic } from '../../src/hub/user-topic.js';
import { SseClient } from '../support/sse-client.js';
import { newGuest, postWithToken, startServer, subscribed, type TestServer } from '../support/server.js';

const ADMIN = 'admin-token-for-tests-0123';

describe('private notification streams (memory backend)', () => {
  let server: TestServer;
  afterEach(async () => server?.close());

  it('streams a buyer its own notices, named, with ids, and resumes by Last-Event-ID', async () => {
    server = await startServer({ adminToken: ADMIN, heartbeatStyle: 'comment' });
    const [alice, bob] = [await newGuest(server.url), await newGuest(server.url)];
    const a = await SseClient.connect(`${server.url}/api/notifications/events?access_token=${alice.token}`);
    const b = await SseClient.connect(`${server.url}/api/notifications/events`, {
      authorization: `Bearer ${bob.token}`,
    });
    expect(a.status).toBe(200);
    await a.waitFor((c) => c.events.length >= 1, 5_000, 'connected');
    expect(a.events[0]).toEqual({ id: undefined, event: 'connected', data: JSON.stringify({ userId: alice.userId }) });
    await subscribed(server, userTopic(alice.userId));
    await subscribed(server, userTopic(bob.userId));

    const sent = await postWithToken(
      server.url,
      `/api/users/${alice.userId}/notifications`,
      {
        event: 'order-paid',
        data: { seatIds: [1, 2] },
      },
      ADMIN,
    );
    expect(sent.status).toBe(202);
    expect(sent.body.eventId).toMatch(/^1@/);
    await postWithToken(server.url, `/api/users/${alice.userId}/notifications`, { data: 'second' }, ADMIN);
    // Bob's sentinel is sent after Alice's notices: once it arrived, Alice's would have too.
    await postWithToken(server.url, `/api/users/${bob.userId}/notifications`, { data: 'for bob' }, ADMIN);
    await a.waitFor((c) => c.events.length >= 3, 5_000, 'two notices');
    await b.waitFor((c) => c.events.length >= 2, 5_000, 'bob sentinel');
    expect(a.events.slice(1).map((e) => [e.event, e.data])).toEqual([
      ['order-paid', '{"seatIds":[1,2]}'],
      ['message', '"second"'],
    ]);
    expect(a.events[1]!.id).toBe(sent.body.eventId);
    expect(b.events.slice(1).map((e) => e.data)).toEqual(['"for bob"']);
    const firstId = a.events[1]!.id!;
    a.close();

    // Missed while away, then resumed from the first notice's id: no gap, no duplicate.
    await postWithToken(server.url, `/api/users/${alice.userId}/notifications`, { data: 'third' }, ADMIN);
    const again = await SseClient.connect(`${server.url}/api/notifications/events`, {
      authorization: `Bearer ${alice.token}`,
      'last-event-id': firstId,
    });
    await again.waitFor((c) => c.events.length >= 3, 5_000, 'resumed notices');
    expect(again.events.map((e) => [e.event, e.data])).toEqual([
      ['connected', JSON.stringify({ userId: alice.userId })],
      ['message', '"second"'],
      ['message', '"third"'],
    ]);
    // An id the history cannot resume from: live after `connected`, nothing replayed.
    const unknown = await SseClient.connect(`${server.url}/api/notifications/events`, {
      authorization: `Bearer ${alice.token}`,
      'last-event-id': '1@nosuchep',
    });
    await subscribed(server, userTopic(alice.userId), 2);
    await postWithToken(server.url, `/api/users/${alice.userId}/notifications`, { data: 'fourth' }, ADMIN);
    await unknown.waitFor((c) => c.events.length >= 2, 5_000, 'live notice');
    expect(unknown.events.map((e) => e.data)).toEqual([JSON.stringify({ userId: alice.userId }), '"fourth"']);
    expect(unknown.events.map((e) => e.id === undefined)).toEqual([true, false]);

    // DELETE …/streams ends both of Alice's streams, not Bob's.
    const ended = await fetch(`${server.url}/api/users/${alice.userId}/streams`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(ended.status).toBe(204);
    await again.waitForEnd();
    await unknown.waitForEnd();
    expect(again.withoutHeartbeats().at(-1)).toMatchObject({
      event: 'deleted',
      data: JSON.stringify({ userId: alice.userId }),
    });
    expect(b.ended).toBe(false);
    b.close();
  });

  it('refuses a stream without identity (401) and the service (403); validates bodies (400)', async () => {
    server = await startServer({ adminToken: ADMIN, heartbeatStyle: 'comment' });
    const anonymous = await fetch(`${server.url}/api/notifications/events`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error).toBe('UNAUTHORIZED');
    const service = await fetch(`${server.url}/api/notifications/events`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(service.status).toBe(403);
    expect((await service.json()).error).toBe('FORBIDDEN');

    const guest = await newGuest(server.url);
    const path = `/api/users/${guest.userId}/notifications`;
    const asBuyer = await postWithToken(server.url, path, { data: 1 }, guest.token);
    expect(asBuyer.status).toBe(403);
    expect((await postWithToken(server.url, path, { data: 1 }, undefined)).status).toBe(401);
    for (const body of [
      {},
      { event: 'connected', data: 1 },
      { event: 'deleted', data: 1 },
      { event: 'Bad Name', data: 1 },
      { data: 1, extra: true },
      { data: 'x'.repeat(8 * 1024) },
    ]) {
      const response = await postWithToken(server.url, path, body, ADMIN);
      expect(response.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(response.body.error).toBe('BAD_REQUEST');
    }
    // A user with no stream open (or no such user): accepted, kept in that user's history.
    const nobody = await postWithToken(server.url, '/api/users/nobody-at-all/notifications', { data: null }, ADMIN);
    expect(nobody.status).toBe(202);
  });
});
