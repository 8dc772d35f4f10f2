import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, type Config } from '../src/config.js';
import { eventually } from './support/server.js';
import { SseClient } from './support/sse-client.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const VARIABLES = [
  'PORT',
  'HOST',
  'HEARTBEAT_MS',
  'HEARTBEAT_STYLE',
  'SSE_MAX_LIFETIME_MS',
  'SSE_RETRY_MS',
  'REPLAY_LIMIT',
  'HOLD_TTL_MS',
  'HOLD_SWEEP_MS',
  'SSE_BUFFER_LIMIT_BYTES',
  'SESSION_SECRET',
  'ADMIN_TOKEN',
  'MAX_SEATS_PER_REQUEST',
  'MAX_HOLD_PER_USER',
  'LOG_LEVEL',
  'DEMO_SCHEDULE',
  'SHUTDOWN_GRACE_MS',
];

function expectConfigError(env: Record<string, string>, variable: string): void {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as Error).message).toContain(variable);
}

describe('loadConfig', () => {
  it('gives defaultConfig for an empty environment', () => {
    expect(loadConfig({})).toEqual(defaultConfig);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig(Object.fromEntries(VARIABLES.map((name) => [name, ''])))).toEqual(defaultConfig);
  });

  it.each<[string, string, Partial<Config>]>([
    ['PORT', '8080', { port: 8080 }],
    ['PORT', '0', { port: 0 }],
    ['PORT', ' 8081 ', { port: 8081 }],
    ['HEARTBEAT_MS', '15000', { heartbeatMs: 15_000 }],
    ['HEARTBEAT_STYLE', 'comment', { heartbeatStyle: 'comment' }],
    ['HEARTBEAT_STYLE', 'data', { heartbeatStyle: 'data' }],
    ['HEARTBEAT_STYLE', 'Both', { heartbeatStyle: 'both' }],
    ['SSE_MAX_LIFETIME_MS', '60000', { sseMaxLifetimeMs: 60_000 }],
    ['REPLAY_LIMIT', '50', { replayLimit: 50 }],
    ['HOLD_TTL_MS', '120000', { holdTtlMs: 120_000 }],
    ['SSE_BUFFER_LIMIT_BYTES', '65536', { sseBufferLimitBytes: 65_536 }],
    ['SESSION_SECRET', 'x'.repeat(32), { sessionSecret: 'x'.repeat(32) }],
    ['ADMIN_TOKEN', 'admin-token-0123456789', { adminToken: 'admin-token-0123456789' }],
    ['MAX_SEATS_PER_REQUEST', '5', { maxSeatsPerRequest: 5 }],
    ['MAX_HOLD_PER_USER', '4', { maxHoldPerUser: 4 }],
    ['MAX_HOLD_PER_USER', '0', { maxHoldPerUser: 0 }],
    ['LOG_LEVEL', 'debug', { logLevel: 'debug' }],
    ['LOG_LEVEL', 'silent', { logLevel: 'silent' }],
    ['DEMO_SCHEDULE', 'off', { demoSchedule: false }],
    ['DEMO_SCHEDULE', 'false', { demoSchedule: false }],
    ['DEMO_SCHEDULE', '0', { demoSchedule: false }],
    ['DEMO_SCHEDULE', 'on', { demoSchedule: true }],
  ])('parses %s=%j', (name, value, expected) => {
    expect(loadConfig({ [name]: value })).toEqual({ ...defaultConfig, ...expected });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', '1e3'],
    ['HEARTBEAT_MS', '10'],
    ['HEARTBEAT_STYLE', 'loud'],
    ['SSE_MAX_LIFETIME_MS', 'forever'],
    ['REPLAY_LIMIT', '0'],
    ['HOLD_TTL_MS', '5m'],
    ['SSE_BUFFER_LIMIT_BYTES', '1mb'],
    ['SESSION_SECRET', 'too-short'],
    ['SESSION_SECRET', 'x'.repeat(31)],
    ['ADMIN_TOKEN', 'short'],
    ['MAX_SEATS_PER_REQUEST', '0'],
    ['MAX_HOLD_PER_USER', '-1'],
    ['LOG_LEVEL', 'verbose'],
    ['DEMO_SCHEDULE', 'maybe'],
  ])('refuses %s=%j with a ConfigError naming the variable', (name, value) => {
    expectConfigError({ [name]: value }, name);
  });
});

describe('the process entry (src/main.ts)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  /** The test runner's environment without any seatstream variable, plus `env`. */
  function start(env: Record<string, string>): {
    child: ChildProcess;
    stderr: () => string;
    exited: Promise<{ code: number | null; signal: string | null }>;
  } {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !VARIABLES.includes(name)));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.resume();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child, stderr: () => stderr, exited };
  }

  function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
  }

  it('exits with code 1 and names PORT on stderr when PORT is invalid', async () => {
    const { exited, stderr } = start({ PORT: 'abc' });
    expect(await exited).toEqual({ code: 1, signal: null });
    expect(
      stderr()
        .split('\n')
        .some((line) => line.includes('PORT')),
    ).toBe(true);
  }, 20_000);

  it('serves the page, the demo schedule and health, then exits 0 within 5 s of SIGTERM', async () => {
    const port = await freePort();
    const { child, exited, stderr } = start({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const url = `http://127.0.0.1:${port}`;
    let early: { code: number | null } | undefined;
    void exited.then((result) => (early = result));
    await eventually(async () => {
      expect(early, `exited early: ${stderr()}`).toBeUndefined();
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
    }, 15_000);

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('seatstream');

    const seats = await fetch(`${url}/api/schedules/1/seats`);
    expect(seats.status).toBe(200);
    const body = (await seats.json()) as Array<{ id: number; status: string }>;
    expect(body).toHaveLength(200);
    expect(body[0]).toEqual({ id: 1, row: 'A', number: 1, status: 'AVAILABLE' });

    // An open stream must not hold the shutdown up: it ends with a short retry hint.
    const viewer = await SseClient.connect(`${url}/api/schedules/1/seats/events`);
    expect(viewer.status).toBe(200);

    const signalled = Date.now();
    child.kill('SIGTERM');
    const result = await Promise.race([
      exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5_000)),
    ]);
    expect(result).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalled).toBeLessThan(5_000);
    await viewer.waitForEnd(1_000);
    expect(viewer.retries.at(-1)).toBeGreaterThanOrEqual(250);
    expect(viewer.retries.at(-1)).toBeLessThanOrEqual(1_250);
  }, 30_000);
});
