import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisProcess {
  url: string;
  port: number;
  /** Kills the process (SIGKILL by default) and waits for it to exit; SIGSTOP / SIGCONT pause and resume it. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (its AOF, if any, is replayed). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * Whether Redis suites run here. In CI (CI=true) a missing redis-server is a failure, not a skip;
 * elsewhere the suite is skipped with a message saying why.
 */
export function redisTestsEnabled(suite: string): boolean {
  if (process.env.TEST_REDIS_URL || redisServerAvailable()) return true;
  if (process.env.CI === 'true')
    throw new Error(`${suite}: redis-server is not installed, and CI must run the Redis suites`);
  console.warn(`SKIPPED ${suite}: no redis-server on PATH and TEST_REDIS_URL unset (install redis-server to run it)`);
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A redis-server of the test's own on a free loopback port, so the test may kill and restart it. */
export async function startRedis(extraArgs: string[] = []): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'seatstream-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--dir',
    dir,
    '--appendonly',
    'no',
    ...extraArgs,
  ];
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForPort(port);
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      running.kill(signal); // pauses or resumes: the process stays
      return;
    }
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    stop: async () => {
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write('PING\r\n');
      });
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let prefixes = 0;
/** A key prefix no other suite or test uses, so tests share one Redis without touching each other. */
export function uniquePrefix(name: string): string {
  return `test:${name}:${process.pid}:${Date.now().toString(36)}:${prefixes++}:`;
}

export interface RedisClusterProcess {
  /** `host:port` of every master, as REDIS_CLUSTER_NODES takes them. */
  nodes: string[];
  stop(): Promise<void>;
}

/** Three masters (no replicas) joined with `redis-cli --cluster create`, on free loopback ports. */
export async function startRedisCluster(masters = 3): Promise<RedisClusterProcess> {
  const servers: RedisProcess[] = [];
  for (let i = 0; i < masters; i++) {
    servers.push(
      await startRedis([
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${i}.conf`,
        '--cluster-node-timeout',
        '2000',
      ]),
    );
  }
  const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
  const created = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
    { encoding: 'utf8' },
  );
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  const deadline = Date.now() + 15_000;
  for (const node of nodes) {
    for (;;) {
      const info = spawnSync('redis-cli', ['-p', node.split(':')[1]!, 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (info.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error(`cluster node ${node} never became ok`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { nodes, stop: async () => void (await Promise.all(servers.map((s) => s.stop()))) };
}

/** Deletes every key under the prefixes, so suites run against a shared TEST_REDIS_URL leave nothing behind. */
export async function dropPrefixes(url: string, prefixes: string[]): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url);
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
