import type { FastifyInstance, FastifyRequest } from 'fastify';
import { userTopic, encodeNotice } from '../../hub/user-topic.js';
import type { StartAt } from '../../hub/topic-stream.js';
import { parseEventId } from '../../protocol/event-id.js';
import { HOLD_NOTICE_EVENTS } from '../../protocol/notices.js';
import { connectedFrame, userStreamEndedFrame } from '../../protocol/sse-frames.js';
import type { AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { CHANGE_REFUSALS, eventStream, noBody, noticeAccepted, refusals, SERVICE_REFUSALS } from '../schemas.js';
import { openSseStream } from '../sse/sse-stream.js';
import { claimStreamSlot, resumeText, sseOptions, streamLifetimeMs } from '../sse/stream-support.js';

/** Most bytes a notice's data may take, serialized. */
export const MAX_NOTICE_BYTES = 8 * 1024;

/** Names the protocol and seatstream's own notices use: a service's notice may not take them. */
const RESERVED_EVENTS = new Set<string>(['connected', 'snapshot', 'error', 'cursor', 'deleted', ...HOLD_NOTICE_EVENTS]);

const userParams = {
  type: 'object',
  required: ['userId'],
  properties: { userId: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

const noticeBody = {
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: {
    event: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' },
    data: {},
  },
} as const;

const streamQuery = {
  type: 'object',
  properties: {
    lastEventId: { type: 'string', maxLength: 64 },
    access_token: { type: 'string', maxLength: 8192 },
  },
} as const;

/**
 * Private streams: a buyer's own stream of notices (`user:<id>` topics of the hub), the service's
 * notices to a user, and its way to end every stream of a user. See docs/integration.md.
 */
export async function notificationRoutes(app: FastifyInstance, { ctx }: { ctx: AppContext }): Promise<void> {
  const { hub, auth, backend } = ctx;
  const options = sseOptions(ctx);

  /** The caller's own stream: whose it is comes from the credential, never from the URL. */
  app.get<{ Querystring: { lastEventId?: string } }>(
    '/api/notifications/events',
    {
      schema: {
        summary: "The caller's own private stream of notices (SSE)",
        querystring: streamQuery,
        response: {
          200: eventStream,
          ...refusals(
            'BAD_REQUEST',
            'INVALID_LAST_EVENT_ID',
            'UNAUTHORIZED',
            'FORBIDDEN',
            'RATE_LIMITED',
            'UNAVAILABLE',
          ),
        },
      },
    },
    async (request, reply) => {
      const userId = await auth.streamOwner(request);
      const text = resumeText(request);
      let after: StartAt = 'live';
      if (text !== undefined) {
        const id = parseEventId(text);
        if (!id) throw new ApiError('INVALID_LAST_EVENT_ID', 'Last-Event-ID must look like 42@k3x9');
        after = id;
      }
      const topic = userTopic(userId);
      // As for seat streams, a new stream while the store is unreachable is a 503 the client
      // retries after, not a 200 that waits in silence: reading the topic's head says whether the
      // store answers (and writes nothing).
      await backend.bus.head(topic);
      if (request.raw.destroyed) return;
      claimStreamSlot(ctx, request, reply);
      const source = hub.stream({
        topics: [{ topic, label: topic, after, deleted: userStreamEndedFrame(userId) }],
        lifetimeMs: streamLifetimeMs(ctx),
        cursor: false,
      });
      openSseStream(reply, source, options, connectedFrame(userId));
    },
  );

  await app.register(async (service) => {
    service.addHook('onRequest', async (request: FastifyRequest) => auth.service(request));

    /** A notice to every open private stream of the user, on every instance (one bus append). */
    service.post<{ Params: { userId: string }; Body: { event?: string; data: unknown } }>(
      '/api/users/:userId/notifications',
      {
        schema: {
          summary: 'Send a notice to every open private stream of a user (the service)',
          params: userParams,
          body: noticeBody,
          response: { 202: noticeAccepted, ...refusals(...CHANGE_REFUSALS, ...SERVICE_REFUSALS) },
        },
      },
      async (request, reply) => {
        const { event = 'message', data } = request.body;
        if (RESERVED_EVENTS.has(event)) throw new ApiError('BAD_REQUEST', `"${event}" is a name the protocol uses`);
        const json = JSON.stringify(data);
        if (Buffer.byteLength(json) > MAX_NOTICE_BYTES) {
          throw new ApiError('BAD_REQUEST', `data takes at most ${MAX_NOTICE_BYTES} bytes, serialized`);
        }
        const appended = await backend.bus.append(userTopic(request.params.userId), encodeNotice(event, json));
        return reply.status(202).send({ eventId: appended.id });
      },
    );

    /** Ends every private stream of the user, on every instance; its notices are kept. */
    service.delete<{ Params: { userId: string } }>(
      '/api/users/:userId/streams',
      {
        schema: {
          summary: 'End every private stream of a user, on every instance (the service)',
          params: userParams,
          response: { 204: noBody('Ended'), ...refusals(...CHANGE_REFUSALS, ...SERVICE_REFUSALS) },
        },
      },
      async (request, reply) => {
        await backend.bus.endStreams(userTopic(request.params.userId));
        return reply.status(204).send();
      },
    );
  });
}
