import { Redis, type RedisOptions } from 'ioredis';
import type { EventBus } from './bus/event-bus.js';
import { LocalBus } from './bus/local-bus.js';
import { RedisBus } from './bus/redis-bus.js';
import { COMMAND_TIMEOUT_MS, RedisContext } from './bus/redis-context.js';
import type { Config } from './config.js';
import { MemorySeatStore } from './seats/memory-seat-store.js';
import { RedisSeatStore } from './seats/redis-seat-store.js';
import type { SeatStore } from './seats/seat-store.js';

/** The storage side of a deployment: an event bus and a seat store that write to it atomically. */
export interface Backend {
  readonly kind: 'memory' | 'redis';
  readonly bus: EventBus;
  readonly store: SeatStore;
  /** Whether the backend can take writes right now (readiness, not liveness). */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

/** The embedded default: one process, no external service. */
export function memoryBackend(config: Pick<Config, 'replayLimit'>): Backend {
  const bus = new LocalBus(config.replayLimit);
  const store = new MemorySeatStore(bus);
  return {
    kind: 'memory',
    bus,
    store,
    isReady: async () => true,
    close: async () => {
      await store.close();
      await bus.close();
    },
  };
}

const redisOptions: RedisOptions = {
  lazyConnect: true,
  commandTimeout: COMMAND_TIMEOUT_MS,
  connectTimeout: 2_000,
  maxRetriesPerRequest: 0,
  // ioredis backs off to ~5 s by default; reconnect promptly so an outage heals fast.
  retryStrategy: (attempt) => Math.min(50 * attempt, 500),
};

/**
 * Many instances as one (DESIGN §4). The command connection never queues while disconnected,
 * so a request that got 503 can never be applied later; the subscriber connection does queue
 * (subscriptions) and ioredis re-subscribes after a reconnect.
 */
export async function redisBackend(config: Pick<Config, 'redisUrl' | 'redisKeyPrefix' | 'replayLimit'>): Promise<Backend> {
  const url = config.redisUrl ?? 'redis://127.0.0.1:6379';
  const client = new Redis(url, { ...redisOptions, enableOfflineQueue: false });
  const subscriber = new Redis(url, { ...redisOptions, commandTimeout: undefined, enableOfflineQueue: true });
  // Errors surface through commands (503) and readiness; without listeners ioredis would log each.
  client.on('error', () => undefined);
  subscriber.on('error', () => undefined);
  const ctx = new RedisContext(client, config.redisKeyPrefix, config.replayLimit);
  try {
    await Promise.all([client.connect(), subscriber.connect()]);
    await ctx.refresh();
  } catch (error) {
    client.disconnect();
    subscriber.disconnect();
    throw new Error(`cannot reach Redis at ${redact(url)}: ${(error as Error).message}`);
  }
  const bus = new RedisBus(ctx, subscriber);
  const store = new RedisSeatStore(ctx);
  return {
    kind: 'redis',
    bus,
    store,
    // A ping with a deadline: a hung Redis keeps its socket open but is not ready.
    isReady: async () => {
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    close: async () => {
      await bus.close();
      client.disconnect();
      subscriber.disconnect();
    },
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

export function createBackend(config: Config): Promise<Backend> {
  return config.redisUrl ? redisBackend(config) : Promise.resolve(memoryBackend(config));
}
