import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { freePort } from '../../test/support/redis-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where buildServers() puts what the benchmark runs (git-ignored). */
export const BUILD = `${ROOT}bench/.build/`;
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
  /** A full garbage collection in the server (bench/lib/server-entry.ts), resolved once it is done. */
  gc(): Promise<void>;
  /** Sends `signal` and waits for the process to exit (W6: SIGKILL, an instance that dies). */
  kill(signal: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Both servers run as plain JavaScript, as in production: under tsx, esbuild's keep-names helper
 * gives every closure its own property dictionary (≈256 B), which would inflate per-connection
 * memory by kilobytes and be measured as seatstream's. seatstream's sources are transpiled file by
 * file (no bundling, no keep-names) into bench/.build/server/: the sources are `isolatedModules`
 * with `verbatimModuleSyntax`, so this is tsc's output for dist/ with the types stripped the same
 * way, made in well under a second instead of tsc's 10–20 s here, and without rewriting the dist/
 * that `npm start` runs. The baseline, the server entry and the subscriber worker are bundled.
 */
export function buildServers(): void {
  rmSync(BUILD, { recursive: true, force: true });
  const common = { platform: 'node', format: 'esm', target: 'es2022', logLevel: 'warning' } as const;
  buildSync({
    ...common,
    entryPoints: [`${ROOT}src/**/*.ts`],
    outbase: `${ROOT}src`,
    outdir: `${BUILD}server`,
    tsconfig: `${ROOT}tsconfig.build.json`,
  });
  // The Redis backend's Lua scripts, which a transpiler does not copy (as `npm run build` does).
  cpSync(`${ROOT}src/backends/redis/lua`, `${BUILD}server/backends/redis/lua`, { recursive: true });
  // What the server finds beside dist/ (package.json for its version, public/ for the demo page)
  // is beside bench/.build/server/ too.
  cpSync(`${ROOT}package.json`, `${BUILD}package.json`);
  symlinkSync(`${ROOT}public`, `${BUILD}public`, 'dir');
  buildSync({
    ...common,
    bundle: true,
    packages: 'external',
    entryPoints: {
      'baseline-server': `${ROOT}bench/baseline-server.ts`,
      'server-entry': `${ROOT}bench/lib/server-entry.ts`,
      'subscriber-worker': `${ROOT}bench/lib/subscriber-worker.ts`,
    },
    outdir: BUILD,
  });
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

async function launch(name: string, script: string, env: Record<string, string>, probe: string): Promise<ServerHandle> {
  const port = await freePort();
  // BENCH_CPU_PROF=1: each server writes a V8 CPU profile (open it in Chrome DevTools) on exit.
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', '--cpu-prof-dir', `${ROOT}bench/results/profiles`, '--cpu-prof-name', `${name}-${port}.cpuprofile`]
    : [];
  // Through the server entry, which runs the script with the garbage collector in reach of gc().
  const child = spawn(
    process.execPath,
    [...profile, '--expose-gc', `${BUILD}server-entry.js`, `${ROOT}${script}`, String(port)],
    { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitUntilUp(url + probe, child);
  return {
    name,
    port,
    pid: child.pid!,
    url,
    counters: new Map(),
    gc: () =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no answer to gc`)), 10_000);
        child.once('message', (answer) => {
          clearTimeout(timer);
          if (answer === 'gc') resolve();
          else reject(new Error(`${name}: gc is not exposed`));
        });
        child.send('gc');
      }),
    kill: (signal) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        // SIGTERM lets a profile be written; SIGKILL if the server does not go.
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/**
 * seatstream as built (`node dist/main.js`, here from bench/.build/server/), tuned only so the
 * benchmark's own traffic is not refused, and stopped without the shutdown drain (the benchmark
 * has no balancer to tell; the drain would add SHUTDOWN_DRAIN_MS to every stop).
 */
export function startSeatstream(env: Record<string, string> = {}): Promise<ServerHandle> {
  return launch(
    'seatstream',
    'bench/.build/server/main.js',
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
      SHUTDOWN_DRAIN_MS: '0',
      ...env,
    },
    '/healthz',
  );
}

/**
 * The hand-written baseline of bench/baseline-server.ts, built by buildServers(). It listens with
 * seatstream's default backlog (LISTEN_BACKLOG, 4096) rather than Node's 511, so that a reconnect
 * storm (W6) meets the same listen queue on both.
 */
export function startBaseline(): Promise<ServerHandle> {
  return launch('baseline', 'bench/.build/baseline-server.js', { LISTEN_BACKLOG: '4096' }, '/api/session');
}
