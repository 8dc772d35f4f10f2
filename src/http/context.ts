import type { Backend } from '../backends/backend.js';
import type { Config } from '../config.js';
import type { TopicHub } from '../hub/topic-hub.js';
import type { SeatHoldService } from '../seats/seat-hold-service.js';
import type { Authenticator } from './authenticate.js';
import type { Limits } from './limits.js';
import type { Metrics } from './metrics.js';

/** What the routes of one app share; exposed as `app.seatstream` for operators and tests. */
export interface AppContext {
  readonly config: Config;
  readonly backend: Backend;
  readonly seats: SeatHoldService;
  readonly hub: TopicHub;
  readonly auth: Authenticator;
  readonly limits: Limits;
  readonly metrics: Metrics;
  /** False once shutdown began: readiness fails and ended streams are told to come back soon. */
  accepting: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    seatstream: AppContext;
  }
}
