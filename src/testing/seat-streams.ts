/**
 * seatstream's three stream routes, opened so that a test may act as soon as they resolve: a
 * schedule stream resolves after its snapshot and a private stream after its `connected` event,
 * and the server sends every event after those (its resume ++ live rule), so nothing made
 * afterwards, on any instance, can be missed.
 */
import type { Credential } from './api.js';
import { type EventStream, openEventStream, type OpenStreamOptions } from './event-stream.js';

export interface ScheduleStreamOptions extends OpenStreamOptions {
  /**
   * Start with a snapshot of each schedule and resolve once it came (default: true unless
   * `lastEventId` is given). Off, the stream starts live and resolves on the response's headers:
   * an event made in the moment before the server subscribed may then not be sent.
   */
  readonly snapshot?: boolean;
}

export interface SchedulesStreamOptions extends ScheduleStreamOptions {
  /** The buyer's own notices ride along (`notifications=true`, with its token as `access_token`). */
  readonly notifications?: Credential;
}

/** `GET /api/schedules/:id/seats/events`. */
export function openScheduleStream(
  baseUrl: string,
  scheduleId: number,
  options: ScheduleStreamOptions = {},
): Promise<EventStream> {
  const snapshot = options.snapshot ?? options.lastEventId === undefined;
  const query = snapshot ? '?snapshot=true' : '';
  return open(`${baseUrl}/api/schedules/${scheduleId}/seats/events${query}`, options, snapshot ? [scheduleId] : []);
}

/** `GET /api/events?schedules=…`: several schedules (and the buyer's notices) on one connection. */
export function openSchedulesStream(
  baseUrl: string,
  scheduleIds: readonly number[],
  options: SchedulesStreamOptions = {},
): Promise<EventStream> {
  const snapshot = options.snapshot ?? options.lastEventId === undefined;
  const query = new URLSearchParams({ schedules: scheduleIds.join(',') });
  if (snapshot) query.set('snapshot', 'true');
  if (options.notifications) {
    query.set('notifications', 'true');
    query.set('access_token', options.notifications.token);
  }
  return open(`${baseUrl}/api/events?${query}`, options, snapshot ? scheduleIds : []);
}

/** `GET /api/notifications/events`: the buyer's private stream, resolved once `connected` came. */
export async function openNotificationStream(
  baseUrl: string,
  buyer: Credential,
  options: OpenStreamOptions = {},
): Promise<EventStream> {
  const query = new URLSearchParams({ access_token: buyer.token });
  const stream = await openEventStream(`${baseUrl}/api/notifications/events?${query}`, options);
  await settled(stream, () => stream.waitFor('connected', undefined, waitOptions(options)));
  return stream;
}

async function open(url: string, options: OpenStreamOptions, snapshots: readonly number[]): Promise<EventStream> {
  const stream = await openEventStream(url, options);
  await settled(stream, async () => {
    for (const scheduleId of snapshots) {
      await stream.waitFor('snapshot', (event) => event.data.scheduleId === scheduleId, {
        ...waitOptions(options),
        label: `the snapshot of schedule ${scheduleId}`,
      });
    }
  });
  return stream;
}

function waitOptions(options: OpenStreamOptions) {
  return options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
}

/** Closes the stream when it never became ready, so a failed open leaves no connection behind. */
async function settled(stream: EventStream, ready: () => Promise<unknown>): Promise<void> {
  try {
    await ready();
  } catch (error) {
    await stream.close();
    throw error;
  }
}
