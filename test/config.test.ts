import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
  'HOLD_WARNING_MS',
  'SSE_BUFFER_LIMIT_BYTES',
  'SNAPSHOT_WRITE_TIMEOUT_MS',
  'SESSION_SECRET',
  'ADMIN_TOKEN',
  'MAX_SEATS_PER_REQUEST',
  'MAX_HOLD_PER_USER',
  'LOG_LEVEL',
  'DEMO',
  'DEMO_SCHEDULE',
  'SHUTDOWN_GRACE_MS',
  'SHUTDOWN_DRAIN_MS',
  'LISTEN_BACKLOG',
  'GUEST_SESSIONS',
  'GUEST_SESSION_TTL_MS',
  'AUTH_JWT_SECRET',
  'AUTH_JWKS_URL',
  'AUTH_JWT_ISSUER',
  'AUTH_JWT_AUDIENCE',
  'AUTH_ROLE_CLAIM',
  'AUTH_COOKIE_NAME',
  'HOLD_COOLDOWN_MS',
  'MAX_HOLD_PER_IP',
  'RATE_LIMITS',
  'RATE_LIMIT_SESSIONS',
  'RATE_LIMIT_MUTATIONS_PER_USER',
  'RATE_LIMIT_MUTATIONS_PER_IP',
  'RATE_LIMIT_READS',
  'RATE_LIMIT_AUTH_FAILURES',
  'MAX_STREAMS_PER_IP',
  'TRUST_PROXY',
  'CORS_ORIGINS',
  'METRICS_TOKEN',
  'HEADERS_TIMEOUT_MS',
  'REQUEST_TIMEOUT_MS',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
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
    ['DEMO_SCHEDULE', 'off', { demo: false }],
    ['DEMO_SCHEDULE', 'false', { demo: false }],
    ['DEMO_SCHEDULE', '0', { demo: false }],
    ['DEMO_SCHEDULE', 'on', { demo: true }],
    ['DEMO', 'off', { demo: false }],
    ['DEMO', 'no', { demo: false }],
    ['DEMO', 'yes', { demo: true }],
    ['GUEST_SESSIONS', 'off', { guestSessions: false }],
    ['GUEST_SESSIONS', 'on', { guestSessions: true }],
    ['GUEST_SESSION_TTL_MS', '3600000', { guestSessionTtlMs: 3_600_000 }],
    ['GUEST_SESSION_TTL_MS', '60000', { guestSessionTtlMs: 60_000 }],
    ['AUTH_JWT_SECRET', 's'.repeat(32), { authJwtSecret: 's'.repeat(32) }],
    [
      'AUTH_JWKS_URL',
      'https://id.example/.well-known/jwks.json',
      { authJwksUrl: 'https://id.example/.well-known/jwks.json' },
    ],
    ['AUTH_JWKS_URL', 'http://127.0.0.1:8080/jwks', { authJwksUrl: 'http://127.0.0.1:8080/jwks' }],
    ['AUTH_JWT_ISSUER', 'https://id.example/', { authJwtIssuer: 'https://id.example/' }],
    ['AUTH_JWT_AUDIENCE', 'seatstream', { authJwtAudience: 'seatstream' }],
    ['AUTH_ROLE_CLAIM', 'https://tickets.example/roles', { authRoleClaim: 'https://tickets.example/roles' }],
    ['AUTH_COOKIE_NAME', 'op_session', { authCookieName: 'op_session' }],
    ['HOLD_COOLDOWN_MS', '0', { holdCooldownMs: 0 }],
    ['HOLD_COOLDOWN_MS', '30000', { holdCooldownMs: 30_000 }],
    ['MAX_HOLD_PER_IP', '0', { maxHoldPerIp: 0 }],
    ['MAX_HOLD_PER_IP', '100', { maxHoldPerIp: 100 }],
    ['RATE_LIMITS', 'off', { rateLimits: false }],
    ['RATE_LIMITS', 'on', { rateLimits: true }],
    ['RATE_LIMIT_SESSIONS', '5', { sessionsPerMinute: 5 }],
    ['RATE_LIMIT_MUTATIONS_PER_USER', '120', { mutationsPerUserPerMinute: 120 }],
    ['RATE_LIMIT_MUTATIONS_PER_IP', '1000', { mutationsPerIpPerMinute: 1000 }],
    ['RATE_LIMIT_READS', '1', { readsPerMinute: 1 }],
    ['RATE_LIMIT_AUTH_FAILURES', '3', { authFailuresPerMinute: 3 }],
    ['MAX_STREAMS_PER_IP', '10', { maxStreamsPerIp: 10 }],
    ['TRUST_PROXY', 'off', { trustProxy: false }],
    ['TRUST_PROXY', 'false', { trustProxy: false }],
    ['TRUST_PROXY', '0', { trustProxy: false }],
    ['TRUST_PROXY', '1', { trustProxy: 1 }],
    ['TRUST_PROXY', '2', { trustProxy: 2 }],
    ['TRUST_PROXY', '10.0.0.5', { trustProxy: ['10.0.0.5'] }],
    ['TRUST_PROXY', '10.0.0.0/8, 192.168.1.1,::1', { trustProxy: ['10.0.0.0/8', '192.168.1.1', '::1'] }],
    ['TRUST_PROXY', 'fd00::/8', { trustProxy: ['fd00::/8'] }],
    ['CORS_ORIGINS', 'https://tickets.example', { corsOrigins: ['https://tickets.example'] }],
    [
      'CORS_ORIGINS',
      'https://tickets.example, http://localhost:5173',
      { corsOrigins: ['https://tickets.example', 'http://localhost:5173'] },
    ],
    ['METRICS_TOKEN', 'metrics-token-0123', { metricsToken: 'metrics-token-0123' }],
    ['HEADERS_TIMEOUT_MS', '5000', { headersTimeoutMs: 5_000 }],
    ['REQUEST_TIMEOUT_MS', '30000', { requestTimeoutMs: 30_000 }],
    ['KEEP_ALIVE_TIMEOUT_MS', '65000', { keepAliveTimeoutMs: 65_000 }],
    ['SNAPSHOT_MAX_STALENESS_MS', '0', { snapshotMaxStalenessMs: 0 }],
    ['MAP_MAX_STALENESS_MS', '500', { mapMaxStalenessMs: 500 }],
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
    ['DEMO', 'maybe'],
    ['GUEST_SESSIONS', 'sometimes'],
    ['GUEST_SESSION_TTL_MS', '59999'],
    ['GUEST_SESSION_TTL_MS', '2592000001'],
    ['GUEST_SESSION_TTL_MS', '1d'],
    ['AUTH_JWT_SECRET', 's'.repeat(31)],
    ['AUTH_JWKS_URL', 'id.example/jwks.json'],
    ['AUTH_JWKS_URL', 'ftp://id.example/jwks.json'],
    ['AUTH_COOKIE_NAME', 'op session'],
    ['AUTH_COOKIE_NAME', 'op;session'],
    ['AUTH_COOKIE_NAME', 'c'.repeat(65)],
    ['HOLD_COOLDOWN_MS', '-1'],
    ['HOLD_COOLDOWN_MS', '86400001'],
    ['HOLD_COOLDOWN_MS', '1m'],
    ['MAX_HOLD_PER_IP', '-1'],
    ['MAX_HOLD_PER_IP', 'many'],
    ['RATE_LIMITS', 'sometimes'],
    ['RATE_LIMIT_SESSIONS', '0'],
    ['RATE_LIMIT_MUTATIONS_PER_USER', '0'],
    ['RATE_LIMIT_MUTATIONS_PER_IP', 'lots'],
    ['RATE_LIMIT_READS', '0'],
    ['RATE_LIMIT_AUTH_FAILURES', '-3'],
    ['MAX_STREAMS_PER_IP', '0'],
    ['TRUST_PROXY', 'on'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['TRUST_PROXY', '10.0.0.1,nginx'],
    ['CORS_ORIGINS', 'tickets.example'],
    ['CORS_ORIGINS', 'https://tickets.example/'],
    ['CORS_ORIGINS', 'https://tickets.example, *'],
    ['METRICS_TOKEN', 'short'],
    ['HEADERS_TIMEOUT_MS', '999'],
    ['HEADERS_TIMEOUT_MS', '120001'],
    ['REQUEST_TIMEOUT_MS', '999'],
    ['REQUEST_TIMEOUT_MS', '600001'],
  ])('refuses %s=%j with a ConfigError naming the variable', (name, value) => {
    expectConfigError({ [name]: value }, name);
  });

  describe('TLS_CERT_FILE and TLS_KEY_FILE', () => {
    let dir: string;
    let cert: string;
    let key: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'seatstream-config-tls-'));
      [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      writeFileSync(cert, 'not a certificate');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('names the one that is missing when only the other is set', () => {
      expectConfigError({ TLS_CERT_FILE: cert }, 'TLS_KEY_FILE');
      expectConfigError({ TLS_KEY_FILE: key }, 'TLS_CERT_FILE');
    });

    it('names the file that cannot be read', () => {
      expectConfigError({ TLS_CERT_FILE: join(dir, 'absent.pem'), TLS_KEY_FILE: key }, 'TLS_CERT_FILE');
      expectConfigError({ TLS_CERT_FILE: cert, TLS_KEY_FILE: join(dir, 'absent.pem') }, 'TLS_KEY_FILE');
    });

    it('refuses a certificate that is not one', () => {
      expectConfigError({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key }, 'TLS_CERT_FILE');
    });
  });

  it('takes DEMO over its alias DEMO_SCHEDULE when both are set', () => {
    expect(loadConfig({ DEMO: 'off', DEMO_SCHEDULE: 'on' }).demo).toBe(false);
    expect(loadConfig({ DEMO: 'on', DEMO_SCHEDULE: 'off' }).demo).toBe(true);
    expectConfigError({ DEMO: 'maybe', DEMO_SCHEDULE: 'off' }, 'DEMO');
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

  it('serves the page, the demo schedule and health; on SIGTERM drains, then exits 0 within the grace', async () => {
    const port = await freePort();
    const { child, exited, stderr } = start({
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SHUTDOWN_DRAIN_MS: '1000',
      LISTEN_BACKLOG: '1234',
    });
    const url = `http://127.0.0.1:${port}`;
    let early: { code: number | null } | undefined;
    void exited.then((result) => (early = result));
    await eventually(async () => {
      expect(early, `exited early: ${stderr()}`).toBeUndefined();
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
    }, 15_000);

    // The listen queue is the one asked for (ss shows a listener's backlog as its Send-Q), up to
    // what the kernel allows.
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const listener = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' })
      .trim()
      .split(/\s+/);
    expect(Number(listener[2])).toBe(Math.min(1234, somaxconn));

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
    // Draining: readiness says 503 at once, while the stream and the other routes still serve.
    await eventually(async () => expect((await fetch(`${url}/readyz`)).status).toBe(503), 900);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(viewer.ended).toBe(false);
    const result = await Promise.race([
      exited,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 6_000)),
    ]);
    expect(result).toEqual({ code: 0, signal: null });
    const took = Date.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(1_000); // not before the drain
    expect(took).toBeLessThan(6_000); // the drain, then within SHUTDOWN_GRACE_MS (5 s)
    await viewer.waitForEnd(1_000);
    expect(viewer.retries.at(-1)).toBeGreaterThanOrEqual(250);
    expect(viewer.retries.at(-1)).toBeLessThanOrEqual(1_250);
  }, 30_000);
});
