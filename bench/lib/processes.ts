import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/support/redis-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';

export interface ServerHandle {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly url: string;
  stop(): Promise<void>;
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
  const child = spawn(process.execPath, ['--import', 'tsx', ...args, String(port)], {
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
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** seatstream as `npm start` runs it, tuned only so the benchmark's own traffic is not refused. */
export function startSeatstream(env: Record<string, string> = {}): Promise<ServerHandle> {
  return launch(
    'seatstream',
    ['src/main.ts'],
    {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DEMO_SCHEDULE: 'off',
      ADMIN_TOKEN,
      SESSION_SECRET: 'bench-session-secret-0123456789-abcdef',
      MAX_HOLD_PER_USER: '0',
      HOLD_TTL_MS: '3600000',
      ...env,
    },
    '/healthz',
  );
}

/** The hand-written baseline of bench/baseline-server.ts. */
export function startBaseline(): Promise<ServerHandle> {
  return launch('baseline', ['bench/baseline-server.ts'], {}, '/api/session');
}
