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
  /**
   * Starts it again (killing it first if it still runs) on the same port and directory (its AOF, if
   * any, is replayed). Rejects, with redis-server's output, if another process took the port meanwhile.
   */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** The last lines redis-server printed since it was last started. */
  output(): string;
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

/** Whether a loopback port can be bound right now: a hint only, the bind of redis-server decides. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A cluster node listens on port + 10000 too, so its port must be at most 65535 - 10000. */
const CLUSTER_MAX_PORT = 55535;

/** A port to try: any free one, or for a cluster node one whose bus port looks free too. */
async function candidatePort(cluster: boolean): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!cluster || (port <= CLUSTER_MAX_PORT && (await canBind(port + 10_000)))) return port;
  }
}

/** Attempts before startRedis gives up on finding a port no one else binds meanwhile. */
const START_ATTEMPTS = 5;

/** What redis-server logs when another process holds its port or its cluster bus port. */
const BIND_CONFLICT = /Address already in use|Failed listening on port|port number too high/i;

class RedisStartError extends Error {
  constructor(
    message: string,
    readonly conflict: boolean,
  ) {
    super(message);
  }
}

/** The last lines of what a process printed, for an error message. */
function tail(output: string, lines = 30): string {
  const text = output.trimEnd();
  if (!text) return '(no output)';
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * A redis-server of the test's own on a free loopback port, so the test may kill and restart it.
 * The port is the one redis-server managed to bind: when another process holds it (or, for a
 * cluster node, port + 10000) another port is tried. `options.port` is the first one to try.
 */
export async function startRedis(extraArgs: string[] = [], options: { port?: number } = {}): Promise<RedisProcess> {
  const cluster = clusterEnabled(extraArgs);
  const failures: string[] = [];
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const port = attempt === 0 && options.port !== undefined ? options.port : await candidatePort(cluster);
    // A directory per attempt: a failed one may have left its cluster config behind.
    const dir = mkdtempSync(join(tmpdir(), 'seatstream-redis-'));
    const server = new RedisServer(port, dir, extraArgs);
    try {
      await server.launch();
      return server.handle();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      if (!(error instanceof RedisStartError) || !error.conflict) throw error;
      failures.push(error.message);
    }
  }
  throw new Error(
    `redis-server: no free port after ${START_ATTEMPTS} attempts, every one taken by another process:\n` +
      failures.join('\n'),
  );
}

function clusterEnabled(args: string[]): boolean {
  const at = args.indexOf('--cluster-enabled');
  return at >= 0 && args[at + 1] === 'yes';
}

/** One redis-server on a fixed port and directory, which can be killed and launched again. */
class RedisServer {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly extraArgs: string[],
  ) {}

  /**
   * Spawns redis-server and resolves once it answers on its port as itself (its pid in INFO):
   * a server of someone else's on that port must not pass for ours. Rejects, with redis-server's
   * output, when it exits first or is not up in time.
   */
  async launch(timeoutMs = 10_000): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--dir',
      this.dir,
      '--appendonly',
      'no',
      ...this.extraArgs,
    ];
    this.output = '';
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (chunk: Buffer): void => {
      // Only the tail goes into an error: keep the buffer bounded for long-running servers.
      this.output = (this.output + chunk.toString()).slice(-64 * 1024);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError) throw new RedisStartError(`redis-server could not be run: ${spawnError.message}`, false);
      if (child.exitCode !== null || child.signalCode !== null) {
        await closed; // the last of its output
        throw new RedisStartError(
          `redis-server on port ${this.port} exited at start-up (${child.exitCode ?? child.signalCode}):\n` +
            tail(this.output),
          BIND_CONFLICT.test(this.output),
        );
      }
      if ((await serverPid(this.port)) === child.pid) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await exited;
        throw new RedisStartError(
          `redis-server on port ${this.port} not up after ${timeoutMs} ms:\n${tail(this.output)}`,
          BIND_CONFLICT.test(this.output),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const running = this.child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      running.kill(signal); // pauses or resumes: the process stays
      return;
    }
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await exited;
  }

  handle(): RedisProcess {
    return {
      url: `redis://127.0.0.1:${this.port}`,
      port: this.port,
      kill: (signal) => this.kill(signal),
      // Clients of the test hold this port: a restart elsewhere would strand them, so no retry.
      restart: async () => {
        await this.kill('SIGKILL');
        await this.launch();
      },
      stop: async () => {
        await this.kill('SIGKILL');
        rmSync(this.dir, { recursive: true, force: true });
      },
      output: () => tail(this.output),
    };
  }
}

/** The process_id the server on a loopback port reports in INFO server; undefined if none answers. */
function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write('INFO server\r\n'));
    const done = (pid: number | undefined): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.on('data', (data) => {
      reply += data.toString();
      const match = /process_id:(\d+)\r\n/.exec(reply);
      if (match) done(Number(match[1]));
      else if (!reply.startsWith('$')) done(undefined); // an error (still loading) or not Redis
    });
    socket.once('error', () => done(undefined));
    socket.once('close', () => done(undefined));
  });
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

/**
 * Three masters (no replicas) joined with `redis-cli --cluster create`, on free loopback ports.
 * `nodeArgs` adds arguments to one node's redis-server. On any failure every node started so far
 * is stopped before the error is thrown.
 */
export async function startRedisCluster(
  masters = 3,
  nodeArgs: (node: number) => string[] = () => [],
): Promise<RedisClusterProcess> {
  const servers: RedisProcess[] = [];
  const tool = (args: string[]) => spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 10_000 });
  const stop = async (): Promise<void> => void (await Promise.all(servers.map((s) => s.stop())));
  try {
    for (let i = 0; i < masters; i++) {
      servers.push(
        await startRedis([
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${i}.conf`,
          '--cluster-node-timeout',
          '2000',
          ...nodeArgs(i),
        ]),
      );
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    const created = tool(['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed:\n${tail(`${created.stdout}${created.stderr}`)}`);
    const deadline = Date.now() + 15_000;
    for (const server of servers) {
      for (;;) {
        const info = tool(['-p', String(server.port), 'cluster', 'info']);
        if (info.stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline)
          throw new Error(
            `cluster node 127.0.0.1:${server.port} never became ok:\n${tail(info.stdout + info.stderr)}\n` +
              `redis-server printed:\n${server.output()}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
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

/**
 * A MONITOR connection, made here rather than with ioredis's `monitor()`: when Redis reports
 * another client's command in the same read as its `OK` to MONITOR, ioredis takes the report for
 * a reply ("Command queue state error") and `monitor()` rejects, leaving its connection open and
 * without an error listener. This one keeps its listener and goes on monitoring (that one report
 * is lost). Close it with `disconnect()`.
 */
export async function monitorRedis(url: string): Promise<import('ioredis').Redis> {
  const { Redis } = await import('ioredis');
  const monitor = new Redis(url, { monitor: true });
  monitor.on('error', () => undefined);
  // Errors are not a sign of failure here (the race above emits one), so a Redis that never
  // answers is told by time: 10 s.
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) => monitor.once('monitoring', () => resolve())),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no MONITOR connection to ${url} within 10 s`)), 10_000);
      }),
    ]);
  } catch (error) {
    monitor.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return monitor;
}
