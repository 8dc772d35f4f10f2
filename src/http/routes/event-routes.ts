import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_CURSOR_LENGTH, parseCursor } from '../../protocol/cursor.js';
import { type EventId, parseEventId } from '../../protocol/event-id.js';
import { NOTICES_CURSOR_LABEL } from '../../protocol/notices.js';
import { deletedFrame, userStreamEndedFrame } from '../../protocol/sse-frames.js';
import type { SnapshotForm } from '../../hub/frame-codec.js';
import type { TopicPosition } from '../../hub/topic-hub.js';
import type { StartAt } from '../../hub/topic-stream.js';
import { userTopic } from '../../hub/user-topic.js';
import { scheduleTopic } from '../../seats/seat-events.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { eventStream, parseId, refusals, scheduleParams } from '../schemas.js';
import { openSseStream, type SseStreamOptions } from '../sse/sse-stream.js';
import { claimStreamSlot, resumeText, sseOptions, streamLifetimeMs } from '../sse/stream-support.js';

/** Schedules one connection may follow; more is a page that should be paginated. */
export const MAX_SCHEDULES_PER_STREAM = 20;

const FLAG = { type: 'string', enum: ['true', 'false', '1', '0', ''] } as const;

/** The forms a stream's snapshots may take (protocol/compact-map.ts); the one asked for applies to all of them. */
const SNAPSHOT_FORMS: readonly SnapshotForm[] = ['full', 'compact'];

const streamQuery = {
  type: 'object',
  properties: {
    lastEventId: { type: 'string', maxLength: MAX_CURSOR_LENGTH },
    snapshot: FLAG,
    snapshotForm: { type: 'string', enum: SNAPSHOT_FORMS },
    access_token: { type: 'string', maxLength: 8192 },
  },
} as const;

/** Refused before a stream opens: the query, a bad `?access_token=`, unknown schedules, the cap, the store. */
const STREAM_REFUSALS = [
  'BAD_REQUEST',
  'INVALID_LAST_EVENT_ID',
  'UNAUTHORIZED',
  'SCHEDULE_NOT_FOUND',
  'RATE_LIMITED',
  'UNAVAILABLE',
] as const;

interface StreamQuery {
  lastEventId?: string;
  snapshot?: string;
  snapshotForm?: SnapshotForm;
}

export async function eventRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const options = sseOptions(ctx);
  app.get<{ Params: { scheduleId: string }; Querystring: StreamQuery }>(
    '/api/schedules/:scheduleId/seats/events',
    {
      schema: {
        summary: 'SSE stream of one schedule',
        params: scheduleParams,
        querystring: streamQuery,
        response: { 200: eventStream, ...refusals(...STREAM_REFUSALS) },
      },
    },
    async (request, reply) => {
      const scheduleId = parseId(request.params.scheduleId, 'scheduleId');
      const text = resumeText(request);
      let after: StartAt = wantsSnapshot(request) ? 'snapshot' : 'live';
      if (text !== undefined && after === 'live') {
        const id = parseEventId(text);
        if (!id) throw new ApiError('INVALID_LAST_EVENT_ID', 'Last-Event-ID must look like 42@k3x9');
        after = id;
      }
      await stream(
        ctx,
        options,
        request,
        reply,
        false,
        [scheduleId],
        [{ topic: scheduleTopic(scheduleId), label: String(scheduleId), after, deleted: deletedFrame(scheduleId) }],
      );
    },
  );

  app.get<{ Querystring: StreamQuery & { schedules?: string; notifications?: string } }>(
    '/api/events',
    {
      schema: {
        summary: "SSE stream of several schedules, and the caller's own notices with notifications=true",
        querystring: {
          ...streamQuery,
          required: ['schedules'],
          properties: {
            ...streamQuery.properties,
            schedules: { type: 'string', maxLength: 1024 },
            notifications: FLAG,
          },
        },
        // FORBIDDEN: the service's own notices (it has none).
        response: { 200: eventStream, ...refusals(...STREAM_REFUSALS, 'FORBIDDEN') },
      },
    },
    async (request, reply) => {
      const ids = (request.query.schedules ?? '').split(',');
      if (ids.length > MAX_SCHEDULES_PER_STREAM) {
        throw new ApiError('BAD_REQUEST', `At most ${MAX_SCHEDULES_PER_STREAM} schedules per connection`);
      }
      const scheduleIds = [...new Set(ids.map((id) => parseId(id.trim(), 'schedules')))];
      const text = resumeText(request);
      let positions = new Map<string, EventId>();
      let fallback: StartAt = wantsSnapshot(request) ? 'snapshot' : 'live';
      if (text !== undefined) {
        const cursor = parseCursor(text);
        if (!cursor && !parseEventId(text)) {
          throw new ApiError('INVALID_LAST_EVENT_ID', 'Last-Event-ID must be a cursor like 1:42@k3x9,2:17@k3x9');
        }
        // A reconnect: schedules without a position in the cursor start with a snapshot. A plain
        // event id is what a browser keeps if the connection broke between an event and its
        // cursor; it names no schedule, so every schedule starts with a snapshot.
        positions = cursor ?? positions;
        fallback = 'snapshot';
      }
      const topics: TopicPosition[] = scheduleIds.map((id) => ({
        topic: scheduleTopic(id),
        label: String(id),
        after: positions.get(String(id)) ?? fallback,
        deleted: deletedFrame(id),
      }));
      const flag = request.query.notifications;
      if (flag === 'true' || flag === '1') {
        // The caller's own notices join the connection: whose they are comes from the credential.
        // Without a position they go on live (a private stream has no snapshot).
        const userId = await ctx.auth.streamOwner(request);
        topics.push({
          topic: userTopic(userId),
          label: NOTICES_CURSOR_LABEL,
          after: positions.get(NOTICES_CURSOR_LABEL) ?? fallback,
          deleted: userStreamEndedFrame(userId),
        });
      }
      await stream(ctx, options, request, reply, true, scheduleIds, topics);
    },
  );
}

function wantsSnapshot(request: FastifyRequest<{ Querystring: StreamQuery }>): boolean {
  const flag = request.query.snapshot;
  // Only the first connect asks; a reconnect carrying the header resumes instead.
  return (flag === 'true' || flag === '1') && !request.headers['last-event-id'];
}

async function stream(
  ctx: AppContext,
  options: SseStreamOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  /** The multi-schedule route writes a cursor after each chunk, whatever the number of schedules. */
  cursor: boolean,
  scheduleIds: readonly number[],
  topics: TopicPosition[],
): Promise<void> {
  // Seat streams are public, and a stale cookie must not cut a viewer off; but a token sent for
  // this stream (a browser's EventSource cannot set headers) must be valid.
  if ((request.query as { access_token?: string }).access_token !== undefined) {
    await ctx.auth.caller(request, { query: true });
  }
  for (const scheduleId of scheduleIds) {
    // A stream names schedules that exist (nothing is created for one that does not); with the
    // store unreachable that cannot be known, so the answer is 503 and the client retries later.
    // Streams already open ride out the outage (heartbeats go on) and catch up afterwards.
    const exists = await ctx.backend.store.exists(scheduleId);
    if (!exists) throw new ApiError('SCHEDULE_NOT_FOUND', `No such schedule: ${scheduleId}`, { scheduleId });
  }
  if (request.raw.destroyed) return;
  claimStreamSlot(ctx, request, reply);
  // The form applies to every snapshot of the connection: the first, and any after a position that cannot resume.
  const { snapshotForm } = request.query as StreamQuery;
  openSseStream(reply, ctx.hub.stream({ topics, lifetimeMs: streamLifetimeMs(ctx), cursor, snapshotForm }), options);
}
