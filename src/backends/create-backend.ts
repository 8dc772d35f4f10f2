import type { Config } from '../config.js';
import type { Backend } from './backend.js';
import { memoryBackend } from './memory/memory-backend.js';

/**
 * The backend the configuration names: Redis when REDIS_URL or REDIS_CLUSTER_NODES is set, else
 * memory. The Redis backend is loaded only then: ioredis alone is some 20 MB of a process at rest.
 */
export async function createBackend(config: Config): Promise<Backend> {
  if (!config.redisUrl && !config.redisClusterNodes) return memoryBackend(config);
  const { redisBackend } = await import('./redis/redis-backend.js');
  return redisBackend(config);
}
