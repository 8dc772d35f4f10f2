import type { Cluster, Redis } from 'ioredis';
import { newEpoch } from '../../bus/event-bus.js';
import { StorageUnavailableError } from '../../bus/unavailable-error.js';

/** A command answers within this long (else 503), whether Redis is down or hung. */
export const COMMAND_TIMEOUT_MS = 1_000;

/** Keys of one topic. The hash tag keeps them in one Cluster slot, so one script can touch all. */
export function topicKeys(prefix: string, topic: string) {
  const base = `${prefix}{${topic}}`;
  return { meta: `${base}:meta`, stream: `${base}:stream`, channel: `${base}:events`, base };
}

/**
 * What every script needs to know about where it runs. A Redis restarted from an AOF that was
 * not fsynced on every write can come back with offsets rolled back; ids minted again would then
 * name other events. So each topic remembers the run id of the Redis (the shard, on a Cluster)
 * that minted its epoch — the script reads it from INFO itself — and a script that sees another
 * run id starts a new epoch, unless every write was durable (`appendfsync always` on every
 * master). See docs/architecture.md, Epochs.
 */
export class RedisContext {
  durable = false;

  constructor(
    readonly client: Redis | Cluster,
    readonly prefix: string,
    readonly replayLimit: number,
    /** Redis Cluster: events go out with SPUBLISH (sharded pub/sub), else PUBLISH. */
    readonly sharded: boolean,
  ) {
    client.on('ready', () => void this.refresh().catch(() => undefined));
  }

  async refresh(): Promise<void> {
    const nodes = 'nodes' in this.client ? this.client.nodes('master') : [this.client];
    const durable = await Promise.all(nodes.map((node) => isDurable(node)));
    this.durable = durable.length > 0 && durable.every(Boolean);
  }

  /** ARGV[1..4] of every script: publish command, durable flag, an epoch to use if a new one is due, replay limit. */
  epochArgs(): [string, string, string, number] {
    return [this.sharded ? 'SPUBLISH' : 'PUBLISH', this.durable ? '1' : '0', newEpoch(), this.replayLimit];
  }

  /** Runs a command, turning connection trouble into StorageUnavailableError. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (isReplyError(error)) throw error;
      throw new StorageUnavailableError(error);
    }
  }
}

async function isDurable(node: Redis): Promise<boolean> {
  if (!/aof_enabled:1/.test(await node.info('persistence'))) return false;
  try {
    return ((await node.config('GET', 'appendfsync')) as string[])[1] === 'always';
  } catch {
    return false; // CONFIG may be renamed away on managed Redis: assume not durable, the safe side
  }
}

/** A reply error of the script or command itself; Redis refusing to serve (OOM, loading, busy) is an outage. */
function isReplyError(error: unknown): boolean {
  return (
    (error as Error)?.name === 'ReplyError' && !/^(OOM|LOADING|BUSY|MASTERDOWN|READONLY)/.test((error as Error).message)
  );
}
