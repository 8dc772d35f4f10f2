import type { Config } from '../config.js';
import type { Backend } from './backend.js';
import { memoryBackend } from './memory/memory-backend.js';
import { redisBackend } from './redis/redis-backend.js';

/** The backend the configuration names: Redis when REDIS_URL or REDIS_CLUSTER_NODES is set, else memory. */
export function createBackend(config: Config): Promise<Backend> {
  if (config.redisUrl || config.redisClusterNodes) return redisBackend(config);
  return Promise.resolve(memoryBackend(config));
}
