import type { Cluster, Redis } from 'ioredis';
import { newEpoch } from '../../bus/event-bus.js';
import { StorageUnavailableError } from '../../bus/unavailable-error.js';
import type { ScriptDefinition } from './scripts.js';

/** A command answers within this long (else 503), whether Redis is down or hung. */
export const COMMAND_TIMEOUT_MS = 1_000;

/**
 * A mutation that has not started in Redis within this long of being sent is refused there,
 * unapplied (its script compares Redis's clock with this deadline). The rest of COMMAND_TIMEOUT_MS
 * is for a script that did start in time to run and for its answer to come back, so that a caller
 * that gave up (503) can be sure nothing was applied: a script may not start just before the
 * caller's own deadline and answer after it. It also absorbs a few hundred ms of clock skew.
 */
export const SCRIPT_START_DEADLINE_MS = 750;

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

  /**
   * The connection for the reads a reconnect storm or a map reader makes by the thousand
   * (history, heads, whether a schedule exists, seat maps): on a connection of their own, a
   * mutation never waits behind them in one connection's queue of replies. `client` when not given.
   */
  readonly reader: Redis | Cluster;

  constructor(
    /** The connection for mutations (and everything not a bulk read). */
    readonly client: Redis | Cluster,
    readonly prefix: string,
    readonly replayLimit: number,
    /** Redis Cluster: events go out with SPUBLISH (sharded pub/sub), else PUBLISH. */
    readonly sharded: boolean,
    reader?: Redis | Cluster,
  ) {
    this.reader = reader ?? client;
    client.on('ready', () => void this.refresh().catch(() => undefined));
  }

  /** Defines `scripts` as commands on both connections. */
  define(scripts: Record<string, ScriptDefinition>): void {
    for (const connection of new Set([this.client, this.reader])) {
      for (const [name, script] of Object.entries(scripts)) connection.defineCommand(name, script);
    }
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

  /**
   * Runs a command, turning connection trouble into StorageUnavailableError, and no answer within
   * COMMAND_TIMEOUT_MS into one too. The timeout gives way to an answer that is already there: after
   * the event loop was blocked (a busy process), timers run before sockets are read, so a timer
   * alone would call a command that Redis answered (and applied) a timeout. It decides in the check
   * phase instead, after the poll phase has read what arrived.
   */
  async run<T>(command: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => setImmediate(() => reject(new Error('Command timed out'))), COMMAND_TIMEOUT_MS);
    });
    try {
      return await Promise.race([command(), timeout]);
    } catch (error) {
      if (isReplyError(error)) throw error;
      throw new StorageUnavailableError(error);
    } finally {
      clearTimeout(timer);
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
