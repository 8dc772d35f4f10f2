import { createHash } from 'node:crypto';
import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { WindowCounters } from '../auth/counters.js';
import type { Config } from '../config.js';
import { presentedCredential } from './authenticate.js';
import { ApiError } from './errors.js';

const MINUTE = 60_000;

export interface Limits {
  /** Guest session creation, per client address. */
  readonly sessions: onRequestAsyncHookHandler;
  /** Holds and releases, per user (credential) and per client address. */
  readonly mutations: onRequestAsyncHookHandler[];
  /** `GET …/seats`, per client address. */
  readonly reads: onRequestAsyncHookHandler;
  /** Refuses a client address with too many failed service authentications in the window. */
  checkServiceFailures(request: FastifyRequest): Promise<void>;
  /** Counts one failed service authentication of the request's address. */
  serviceRefused(request: FastifyRequest): Promise<void>;
  /**
   * Counts a try at the service token before it is checked, refusing it past the limit, so
   * tries sent in parallel cannot all pass a check that reads the count before any is added.
   */
  serviceAttempt(request: FastifyRequest): Promise<void>;
  /** Takes back the count of a try that was right. */
  serviceSucceeded(request: FastifyRequest): Promise<void>;
  /** Takes one of the address's stream slots (per instance); false when it has none left. */
  openStream(request: FastifyRequest, reply: FastifyReply): boolean;
}

const NONE: onRequestAsyncHookHandler = async () => undefined;

/**
 * Abuse costs the abuser (docs/security.md, Limits): per-address and per-user windows kept in the
 * backend's counters, so they hold across instances on Redis. `RATE_LIMITS=off` makes every
 * limit a no-op, for load tests.
 */
export async function registerLimits(
  app: FastifyInstance,
  config: Config,
  counters: WindowCounters,
  exempt: (request: FastifyRequest) => Promise<boolean>,
): Promise<Limits> {
  if (!config.rateLimits) {
    return {
      sessions: NONE,
      mutations: [],
      reads: NONE,
      checkServiceFailures: async () => undefined,
      serviceRefused: async () => undefined,
      serviceAttempt: async () => undefined,
      serviceSucceeded: async () => undefined,
      openStream: () => true,
    };
  }
  await app.register(rateLimit, { global: false, store: countersStore(counters) });
  const credentialKey = credentialKeyOf(config.authCookieName);
  // Each limiter checks on its own: the plugin's route hooks (`app.rateLimit`) share one "already
  // ran" flag per request, so a second limiter on the same route would never count or refuse.
  const limit = (
    name: string,
    max: number,
    keyGenerator?: (request: FastifyRequest) => string,
  ): onRequestAsyncHookHandler => {
    const check = app.createRateLimit({
      name,
      max,
      timeWindow: MINUTE,
      allowList: exempt,
      ...(keyGenerator && { keyGenerator }),
    } as CreateRateLimitOptions);
    return async (request) => {
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) return;
      const retryAfter = Math.max(1, result.ttlInSeconds);
      throw new ApiError('RATE_LIMITED', `Too many requests; try again in ${retryAfter} s`, { retryAfter });
    };
  };
  const streams = new Map<string, number>();
  return {
    sessions: limit('sessions', config.sessionsPerMinute),
    mutations: [
      limit('mutations-user', config.mutationsPerUserPerMinute, credentialKey),
      limit('mutations-ip', config.mutationsPerIpPerMinute),
    ],
    reads: limit('reads', config.readsPerMinute),
    async checkServiceFailures(request) {
      const { count, ttlMs } = await counters.peek(`auth-failures:${request.ip}`);
      if (count >= config.authFailuresPerMinute) {
        throw new ApiError('RATE_LIMITED', 'Too many failed authentications from your address', {
          retryAfter: Math.max(1, Math.ceil(ttlMs / 1000)),
        });
      }
    },
    async serviceRefused(request) {
      await counters.increment(`auth-failures:${request.ip}`, MINUTE).catch(() => undefined);
    },
    async serviceAttempt(request) {
      const { count, ttlMs } = await counters.increment(`auth-failures:${request.ip}`, MINUTE);
      if (count > config.authFailuresPerMinute) {
        throw new ApiError('RATE_LIMITED', 'Too many failed authentications from your address', {
          retryAfter: Math.max(1, Math.ceil(ttlMs / 1000)),
        });
      }
    },
    async serviceSucceeded(request) {
      await counters.forgive(`auth-failures:${request.ip}`).catch(() => undefined);
    },
    openStream(request, reply) {
      const { ip } = request;
      const open = streams.get(ip) ?? 0;
      if (open >= config.maxStreamsPerIp) return false;
      streams.set(ip, open + 1);
      // Kept as long as the stream is open: the address only, and `on` (a response closes once).
      reply.raw.on('close', () => {
        const left = (streams.get(ip) ?? 1) - 1;
        if (left > 0) streams.set(ip, left);
        else streams.delete(ip);
      });
      return true;
    },
  };
}

/**
 * One user's bucket: the credential it presents, as the authenticator reads it (the bearer token
 * trimmed, else the operator's JWT cookie, else the guest cookie), digested; its address when it
 * presents none. Nothing else a client sends (other cookies, spacing) picks another bucket.
 */
function credentialKeyOf(jwtCookie: string | undefined): (request: FastifyRequest) => string {
  return (request) => {
    const token = presentedCredential(request, jwtCookie, false)?.token;
    return token ? createHash('sha256').update(token).digest('base64url').slice(0, 22) : request.ip;
  };
}

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** @fastify/rate-limit's store interface over the backend's window counters. */
function countersStore(counters: WindowCounters) {
  return class CountersStore {
    private readonly name: string;

    /** The plugin builds the root store with its options; each limiter gets a child named after it. */
    constructor(options: { name?: string } = {}) {
      this.name = `rate:${options.name ?? 'root'}`;
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      counters.increment(`${this.name}:${key}`, timeWindow).then(
        ({ count, ttlMs }) => callback(null, { current: count, ttl: ttlMs }),
        (error: Error) => callback(error),
      );
    }

    read(key: string, callback: Callback): void {
      counters.peek(`${this.name}:${key}`).then(
        ({ count, ttlMs }) => callback(null, { current: count, ttl: ttlMs }),
        (error: Error) => callback(error),
      );
    }

    // The plugin passes the limiter's merged options (typed as route options): `name` is ours.
    child(options: object): CountersStore {
      return new CountersStore(options as { name?: string });
    }
  };
}
