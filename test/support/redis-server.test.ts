import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisServerAvailable, redisTestsEnabled, startRedis, startRedisCluster } from './redis-server.js';

// These start redis-server itself: a TEST_REDIS_URL cannot stand in for it.
const enabled = redisTestsEnabled('redis-server test harness') && (redisServerAvailable() || process.env.CI === 'true');

/**
 * Holds a loopback port and answers every command with +PONG, as another Redis there would:
 * a harness that only pings the port takes it for its own server.
 */
async function occupy(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('data', () => socket.write('+PONG\r\n'));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Pids of the redis-server processes this test process started and that still run. */
function redisChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (comm === 'redis-server' && state !== 'Z' && Number(ppid) === process.pid) pids.push(Number(entry));
  }
  return pids;
}

/** Runs `start` while recording every redis-server it spawns, until it settles. */
async function watchSpawned<T>(start: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; seen: number[] }> {
  const before = new Set(redisChildren());
  const seen = new Set<number>();
  let done = false;
  const settled = Promise.allSettled([start()]).then(([result]) => {
    done = true;
    return result!;
  });
  while (!done) {
    for (const pid of redisChildren()) if (!before.has(pid)) seen.add(pid);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { result: await settled, seen: [...seen] };
}

function killAll(pids: number[]): void {
  for (const pid of pids) process.kill(pid, 'SIGKILL');
}

function alive(pid: number): boolean {
  return redisChildren().includes(pid);
}

describe.skipIf(!enabled)('redis-server test harness', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('retries on another port when the one it tries first is taken', async () => {
    const taken = await occupy();
    cleanup.push(taken.close);
    const redis = await startRedis([], { port: taken.port });
    cleanup.push(redis.stop);

    expect(redis.port).not.toBe(taken.port);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    cleanup.push(async () => void client.disconnect());
    await client.set('harness', 'ours');
    expect(await client.get('harness')).toBe('ours');
  });

  it("restart() keeps its port, and fails with redis-server's output when that port was taken meanwhile", async () => {
    const redis = await startRedis();
    cleanup.push(redis.stop);
    await redis.kill();
    const taken = await occupy(redis.port);
    cleanup.push(taken.close);

    await expect(redis.restart()).rejects.toThrow(/Address already in use/);
    await taken.close();
    await redis.restart();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    cleanup.push(async () => void client.disconnect());
    expect(await client.ping()).toBe('PONG');
  });

  it("a failing start shows redis-server's output in the error", async () => {
    const { result, seen } = await watchSpawned(() => startRedis(['--no-such-directive', 'x']));

    expect(result.status).toBe('rejected');
    const message = String((result as PromiseRejectedResult).reason);
    expect(message).toMatch(/Bad directive or wrong number of arguments/);
    expect(message).toMatch(/no-such-directive/);
    expect(seen.filter(alive)).toEqual([]);
  });

  it('a cluster whose third node fails to start stops the two it started', async () => {
    const { result, seen } = await watchSpawned(() =>
      startRedisCluster(3, (node) => (node === 2 ? ['--no-such-directive', 'x'] : [])),
    );
    // Whatever the harness left behind must not outlive the test, even when the test fails.
    cleanup.push(async () => killAll(seen.filter(alive)));

    expect(result.status).toBe('rejected');
    expect(String((result as PromiseRejectedResult).reason)).toMatch(/Bad directive/);
    expect(seen.length).toBeGreaterThanOrEqual(2); // the third may exit before it is seen
    expect(seen.filter(alive)).toEqual([]);
  });

  it('a cluster that redis-cli refuses to create (two masters) stops its nodes', async () => {
    const { result, seen } = await watchSpawned(() => startRedisCluster(2));
    cleanup.push(async () => killAll(seen.filter(alive)));

    expect(result.status).toBe('rejected');
    expect(String((result as PromiseRejectedResult).reason)).toMatch(/at least 3 master/);
    expect(seen.length).toBe(2);
    expect(seen.filter(alive)).toEqual([]);
  });

  it('a cluster node whose bus port (port + 10000) is taken comes up on another port', async () => {
    let bus: Awaited<ReturnType<typeof occupy>> | undefined;
    let first = 0;
    while (!bus) {
      // Cluster ports must stay at or below 55535 so that their bus port exists.
      first = 20_000 + Math.floor(Math.random() * 25_000);
      bus = await occupy(first + 10_000).catch(() => undefined);
    }
    cleanup.push(bus.close);
    const redis = await startRedis(['--cluster-enabled', 'yes'], { port: first });
    cleanup.push(redis.stop);

    expect(redis.port).not.toBe(first);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    cleanup.push(async () => void client.disconnect());
    expect(await client.call('CLUSTER', 'MYID')).toMatch(/^[0-9a-f]{40}$/);
  });
});
