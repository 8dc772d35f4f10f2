import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/redis-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';

export interface ServerHandle {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  /** Hold/release requests made so far per schedule, so every run on this server continues the same cycle. */
  readonly counters: Map<number, number>;
  /** The session the benchmark acts as on this server (set by setUp). */
  token?: string;
  stop(): Promise<void>;
}

const TSC = `${ROOT}node_modules/typescript/bin/tsc`;

/**
 * Both servers run as plain compiled JavaScript, as in production: under tsx, esbuild's
 * keep-names helper gives every closure its own property dictionary (≈256 B), which would
 * inflate per-connection memory by kilobytes and be measured as seatstream's.
 */
export function buildServers(): void {
  const steps = [
    ['-p', 'tsconfig.build.json'],
    [
      'bench/baseline-server.ts',
      '--outDir',
      'bench/.build',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--skipLibCheck',
      '--ignoreConfig',
    ],
  ];
  for (const args of steps) {
    const built = spawnSync(process.execPath, [TSC, ...args], { cwd: ROOT, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`tsc ${args.join(' ')} failed:\n${built.stdout}${built.stderr}`);
  }
  // The Redis backend's Lua scripts, which tsc does not copy (as `npm run build` does).
  cpSync(`${ROOT}src/backends/redis/lua`, `${ROOT}dist/backends/redis/lua`, { recursive: true });
}

async function waitUntilUp(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not come up`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function launch(name: string, args: string[], env: Record<string, string>, probe: string): Promise<ServerHandle> {
  const port = await freePort();
  // BENCH_CPU_PROF=1: each server writes a V8 CPU profile (open it in Chrome DevTools) on exit.
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', '--cpu-prof-dir', `${ROOT}bench/results/profiles`, '--cpu-prof-name', `${name}-${port}.cpuprofile`]
    : [];
  const child = spawn(process.execPath, [...profile, ...args, String(port)], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(url + probe, child);
  return {
    name,
    port,
    pid: child.pid!,
    url,
    counters: new Map(),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // SIGTERM lets a profile be written; SIGKILL if the server does not go.
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/**
 * seatstream as built (`npm run build`, `node dist/main.js`), tuned only so the benchmark's own
 * traffic is not refused.
 */
export function startSeatstream(env: Record<string, string> = {}): Promise<ServerHandle> {
  return launch(
    'seatstream',
    ['dist/main.js'],
    {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DEMO: 'off',
      // The benchmark's own traffic comes from one address: limits would measure themselves.
      RATE_LIMITS: 'off',
      HOLD_COOLDOWN_MS: '0',
      ADMIN_TOKEN,
      SESSION_SECRET: 'bench-session-secret-0123456789-abcdef',
      MAX_HOLD_PER_USER: '0',
      HOLD_TTL_MS: '3600000',
      ...env,
    },
    '/healthz',
  );
}

/** The hand-written baseline of bench/baseline-server.ts, compiled by buildServers(). */
export function startBaseline(): Promise<ServerHandle> {
  return launch('baseline', ['bench/.build/baseline-server.js'], {}, '/api/session');
}
