import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../config.js';
import type { Backend } from '../backend.js';
import { RedisBus } from './redis-bus.js';
import { COMMAND_TIMEOUT_MS, RedisContext } from './redis-context.js';
import { RedisCounters } from './redis-counters.js';
import { RedisRevocations } from './redis-revocations.js';
import { RedisSeatStore } from './redis-seat-store.js';

const redisOptions: RedisOptions = {
  lazyConnect: true,
  // A backstop that frees the commands of a hung connection; RedisContext.run answers the caller
  // at COMMAND_TIMEOUT_MS, and must be the one to decide (see there).
  commandTimeout: 2 * COMMAND_TIMEOUT_MS,
  connectTimeout: 2_000,
  maxRetriesPerRequest: 0,
  // ioredis backs off to ~5 s by default; reconnect promptly so an outage heals fast.
  retryStrategy: (attempt) => Math.min(50 * attempt, 500),
};

/**
 * Many instances as one, on one Redis or a Redis Cluster (sharded pub/sub). The
 * command connection never queues while disconnected, so a request that got 503 is never applied
 * later; the subscriber connection does queue (subscriptions) and ioredis re-subscribes after a
 * reconnect. Bulk reads (history, heads, existence, seat maps) have a connection of their own
 * (RedisContext.reader): ioredis answers a connection's commands in order, and a hold must not
 * queue behind a reconnect storm's reads or a big map's reply.
 */
export async function redisBackend(
  config: Pick<Config, 'redisUrl' | 'redisClusterNodes' | 'redisKeyPrefix' | 'replayLimit'>,
): Promise<Backend> {
  const sharded = config.redisClusterNodes !== undefined;
  const where = sharded
    ? `the Redis Cluster at ${config.redisClusterNodes!.join(',')}`
    : `Redis at ${redact(config.redisUrl ?? DEFAULT_URL)}`;
  const [client, reader, subscriber] = sharded
    ? clusterClients(config.redisClusterNodes!)
    : redisClients(config.redisUrl ?? DEFAULT_URL);
  const connections = [client, reader, subscriber];
  // Errors surface through commands (503) and readiness; without listeners ioredis would log each.
  for (const connection of connections) connection.on('error', () => undefined);
  const ctx = new RedisContext(client, config.redisKeyPrefix, config.replayLimit, sharded, reader);
  try {
    await Promise.all(connections.map((connection) => connection.connect()));
    await ctx.refresh();
  } catch (error) {
    for (const connection of connections) connection.disconnect();
    throw new Error(`cannot reach ${where}: ${(error as Error).message}`);
  }
  const bus = new RedisBus(ctx, subscriber);
  const store = new RedisSeatStore(ctx, bus);
  return {
    kind: 'redis',
    bus,
    store,
    revocations: new RedisRevocations(ctx),
    counters: new RedisCounters(ctx),
    // A ping with a deadline: a hung Redis keeps its socket open but is not ready.
    isReady: async () => {
      try {
        const answers = await Promise.all([client.ping(), reader.ping()]);
        return answers.every((answer) => answer === 'PONG');
      } catch {
        return false;
      }
    },
    close: async () => {
      await bus.close();
      for (const connection of connections) connection.disconnect();
    },
  };
}

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** The command connection, the reads' connection (RedisContext.reader) and the subscriber. */
function redisClients(url: string): [Redis, Redis, Redis] {
  return [
    new Redis(url, { ...redisOptions, enableOfflineQueue: false }),
    new Redis(url, { ...redisOptions, enableOfflineQueue: false }),
    new Redis(url, { ...redisOptions, commandTimeout: undefined, enableOfflineQueue: true }),
  ];
}

function clusterClients(nodes: string[]): [Cluster, Cluster, Cluster] {
  const seeds = nodes.map((node) => {
    const [host, port] = node.split(':') as [string, string];
    return { host, port: Number(port) };
  });
  const { retryStrategy, lazyConnect, ...nodeOptions } = redisOptions;
  const options = { lazyConnect, clusterRetryStrategy: retryStrategy, redisOptions: nodeOptions };
  return [
    new Cluster(seeds, { ...options, enableOfflineQueue: false }),
    new Cluster(seeds, { ...options, enableOfflineQueue: false }),
    // One subscriber connection per shard: SSUBSCRIBE goes to the shard that owns the channel's slot.
    new Cluster(seeds, {
      ...options,
      shardedSubscribers: true,
      redisOptions: { ...nodeOptions, commandTimeout: undefined },
    }),
  ];
}

function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
