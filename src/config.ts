/**
 * Configuration from the environment: every variable has a default and is validated at
 * start-up, so a typo fails loudly before the server accepts a connection.
 */

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { HeartbeatStyle } from './protocol/sse-frames.js';

export type { HeartbeatStyle };
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  heartbeatMs: number;
  heartbeatStyle: HeartbeatStyle;
  sseMaxLifetimeMs: number;
  /** Retry hint (ms) sent when the server ends a stream; clients add their own jitter on top. */
  sseRetryMs: number;
  replayLimit: number;
  holdTtlMs: number;
  holdSweepMs: number;
  /** A holder is warned (`hold-expiring` on the private stream) this long before a hold expires; 0 = never. */
  holdWarningMs: number;
  sseBufferLimitBytes: number;
  /**
   * A stream's snapshot (a whole seat map, megabytes for an arena) is not held to
   * `sseBufferLimitBytes`: a reader that has not taken it within this long is disconnected.
   */
  snapshotWriteTimeoutMs: number;
  /**
   * How far behind the newest event a stream's snapshot may be: the stream goes on from the
   * snapshot's own id, so an older one only means more events after it, never a gap. A schedule's
   * seats are read and serialized for snapshots at most once per this long.
   */
  snapshotMaxStalenessMs: number;
  /**
   * The same for an anonymous `GET …/seats` (a buyer's own map is always current). 0 by default:
   * a client that opens its stream without the map's `Last-Event-ID` (the original design's
   * client) would miss what happened in between.
   */
  mapMaxStalenessMs: number;
  /** Undefined: a random secret per process (sessions do not survive a restart). */
  sessionSecret: string | undefined;
  /** The service credential (a bearer token); undefined: only a service JWT is one. */
  adminToken: string | undefined;
  maxSeatsPerRequest: number;
  /** 0 = no limit. */
  maxHoldPerUser: number;
  logLevel: LogLevel;
  /** The demo schedule and its checkout route (`DEMO`, or its alias `DEMO_SCHEDULE`). */
  demo: boolean;
  /** Redis connection URL; unset (and no cluster nodes) = the embedded memory backend. */
  redisUrl: string | undefined;
  /** Redis Cluster seed nodes (`host:port`); takes precedence over redisUrl. */
  redisClusterNodes: string[] | undefined;
  /** In front of every Redis key and channel, so deployments can share one Redis. */
  redisKeyPrefix: string;
  /** How long SIGTERM waits for streams to close before the process exits anyway. */
  shutdownGraceMs: number;
  /**
   * On SIGTERM, readiness turns 503 at once and streams are kept this long, so the balancer
   * notices before they end; the grace period counts from the end of it.
   */
  shutdownDrainMs: number;
  /**
   * The listen socket's queue of connections not yet accepted: a reconnect storm (an instance died,
   * thousands of pages come back at once) overflows Node's default 511 and the clients' SYN retries
   * wait 1, 3, 7 s. The kernel caps it at `net.core.somaxconn`.
   */
  listenBacklog: number;

  // The trust boundary (docs/security.md).
  /** Guest sessions (`POST /api/session`): for the demo and anonymous sales. */
  guestSessions: boolean;
  guestSessionTtlMs: number;
  /** HS256 secret shared with the operator's identity provider. */
  authJwtSecret: string | undefined;
  /** The provider's JWKS (RS256 / ES256). */
  authJwksUrl: string | undefined;
  authJwtIssuer: string | undefined;
  authJwtAudience: string | undefined;
  /** The claim whose value `service` makes a JWT the service credential. */
  authRoleClaim: string;
  /** A cookie that carries the operator's JWT (browsers' EventSource cannot set headers). */
  authCookieName: string | undefined;
  /** After a user's hold ends (released, expired), that user may not hold the seat again for this long; 0 = off. */
  holdCooldownMs: number;
  /** Guest mode: most seats one client address may hold per schedule across its sessions; 0 = off. */
  maxHoldPerIp: number;
  /** Every rate limit and per-address cap; off for load tests. */
  rateLimits: boolean;
  /** Per minute and client address. */
  sessionsPerMinute: number;
  /** Per minute and user. */
  mutationsPerUserPerMinute: number;
  /** Per minute and client address. */
  mutationsPerIpPerMinute: number;
  /** `GET …/seats` per minute and client address. */
  readsPerMinute: number;
  /** Failed service or admin authentications per minute and client address. */
  authFailuresPerMinute: number;
  /** Open SSE streams per client address, per instance. */
  maxStreamsPerIp: number;
  /** Whether X-Forwarded-* are believed: false, a hop count, or the proxies' addresses / CIDRs. */
  trustProxy: boolean | number | string[];
  /** Origins, besides the page's own, from which cookie-authenticated mutations are accepted. */
  corsOrigins: string[];
  /** Bearer credential of `/metrics`; unset: `/metrics` answers 404. */
  metricsToken: string | undefined;
  /** A request's headers must arrive within this long. */
  headersTimeoutMs: number;
  /** A request (headers and body) must arrive within this long; streams are responses and are not cut. */
  requestTimeoutMs: number;
  /**
   * An idle keep-alive HTTP/1.1 connection is closed after this long. Longer than the idle timeout
   * of the balancer in front (60 s for most), so that the balancer, not the server, closes first:
   * otherwise a request it sends as the server closes is reset.
   */
  keepAliveTimeoutMs: number;
  /**
   * PEM certificate (chain) and private key: both set, the app serves HTTP/2 over TLS (HTTP/1.1
   * still allowed); neither, plain HTTP/1.1 (TLS ends at a proxy in front, or nowhere).
   */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

export const defaultConfig: Readonly<Config> = Object.freeze({
  port: 3000,
  host: '0.0.0.0',
  heartbeatMs: 30_000,
  heartbeatStyle: 'both',
  sseMaxLifetimeMs: 1_800_000,
  sseRetryMs: 3_000,
  replayLimit: 1000,
  holdTtlMs: 300_000,
  holdSweepMs: 1_000,
  holdWarningMs: 60_000,
  sseBufferLimitBytes: 1_048_576,
  snapshotWriteTimeoutMs: 10_000,
  snapshotMaxStalenessMs: 1_000,
  mapMaxStalenessMs: 0,
  sessionSecret: undefined,
  adminToken: undefined,
  maxSeatsPerRequest: 20,
  maxHoldPerUser: 10,
  logLevel: 'info',
  demo: true,
  shutdownGraceMs: 5_000,
  shutdownDrainMs: 5_000,
  listenBacklog: 4_096,
  redisUrl: undefined,
  redisClusterNodes: undefined,
  redisKeyPrefix: 'seatstream:',
  guestSessions: true,
  guestSessionTtlMs: 24 * 60 * 60_000,
  authJwtSecret: undefined,
  authJwksUrl: undefined,
  authJwtIssuer: undefined,
  authJwtAudience: undefined,
  authRoleClaim: 'role',
  authCookieName: undefined,
  holdCooldownMs: 60_000,
  maxHoldPerIp: 40,
  rateLimits: true,
  sessionsPerMinute: 30,
  mutationsPerUserPerMinute: 60,
  mutationsPerIpPerMinute: 600,
  readsPerMinute: 600,
  authFailuresPerMinute: 10,
  maxStreamsPerIp: 100,
  trustProxy: false,
  corsOrigins: [],
  metricsToken: undefined,
  headersTimeoutMs: 10_000,
  // fastify's own default; Node's is 5 s.
  keepAliveTimeoutMs: 72_000,
  requestTimeoutMs: 10_000,
  tlsCertFile: undefined,
  tlsKeyFile: undefined,
});

function int(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${env[name]}"`);
  }
  return raw as T;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
}

function secret(env: Env, name: string, minLength: number): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < minLength) throw new ConfigError(`${name} must be at least ${minLength} characters`);
  return raw;
}

function redisUrl(env: Env): string | undefined {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return undefined;
  if (!/^rediss?:\/\/[^\s]+$/.test(raw))
    throw new ConfigError(`REDIS_URL must look like redis://host:6379, got "${raw}"`);
  return raw;
}

function clusterNodes(env: Env): string[] | undefined {
  const raw = env.REDIS_CLUSTER_NODES?.trim();
  if (!raw) return undefined;
  const nodes = raw.split(',').map((n) => n.trim());
  for (const node of nodes) {
    if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(node))
      throw new ConfigError(`REDIS_CLUSTER_NODES must be host:port,host:port, got "${node}"`);
  }
  return nodes;
}

function keyPrefix(env: Env, fallback: string): string {
  const raw = env.REDIS_KEY_PREFIX;
  if (raw === undefined) return fallback;
  // Braces would start a hash tag of their own and move keys to another Cluster slot.
  if (!/^[A-Za-z0-9:._-]{0,64}$/.test(raw))
    throw new ConfigError(`REDIS_KEY_PREFIX may use letters, digits and : . _ - (at most 64), got "${raw}"`);
  return raw;
}

export function loadConfig(env: Env = process.env): Config {
  const d = defaultConfig;
  const config: Config = {
    port: int(env, 'PORT', d.port, 0, 65_535),
    host: env.HOST?.trim() || d.host,
    heartbeatMs: int(env, 'HEARTBEAT_MS', d.heartbeatMs, 100),
    heartbeatStyle: oneOf(env, 'HEARTBEAT_STYLE', d.heartbeatStyle, ['both', 'comment', 'data']),
    sseMaxLifetimeMs: int(env, 'SSE_MAX_LIFETIME_MS', d.sseMaxLifetimeMs, 1_000),
    sseRetryMs: int(env, 'SSE_RETRY_MS', d.sseRetryMs, 1, 600_000),
    replayLimit: int(env, 'REPLAY_LIMIT', d.replayLimit, 1, 1_000_000),
    holdTtlMs: int(env, 'HOLD_TTL_MS', d.holdTtlMs, 1_000),
    holdSweepMs: int(env, 'HOLD_SWEEP_MS', d.holdSweepMs, 10, 60_000),
    holdWarningMs: int(env, 'HOLD_WARNING_MS', d.holdWarningMs, 0, 24 * 60 * 60_000),
    sseBufferLimitBytes: int(env, 'SSE_BUFFER_LIMIT_BYTES', d.sseBufferLimitBytes, 1_024),
    snapshotWriteTimeoutMs: int(env, 'SNAPSHOT_WRITE_TIMEOUT_MS', d.snapshotWriteTimeoutMs, 100, 600_000),
    snapshotMaxStalenessMs: int(env, 'SNAPSHOT_MAX_STALENESS_MS', d.snapshotMaxStalenessMs, 0, 60_000),
    mapMaxStalenessMs: int(env, 'MAP_MAX_STALENESS_MS', d.mapMaxStalenessMs, 0, 60_000),
    sessionSecret: secret(env, 'SESSION_SECRET', 32),
    adminToken: secret(env, 'ADMIN_TOKEN', 16),
    maxSeatsPerRequest: int(env, 'MAX_SEATS_PER_REQUEST', d.maxSeatsPerRequest, 1, 1_000),
    maxHoldPerUser: int(env, 'MAX_HOLD_PER_USER', d.maxHoldPerUser, 0),
    logLevel: oneOf(env, 'LOG_LEVEL', d.logLevel, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    // DEMO_SCHEDULE is the older name: it counts only while DEMO is unset (or empty).
    demo: bool(env, env.DEMO?.trim() ? 'DEMO' : 'DEMO_SCHEDULE', d.demo),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', d.shutdownGraceMs, 0, 120_000),
    shutdownDrainMs: int(env, 'SHUTDOWN_DRAIN_MS', d.shutdownDrainMs, 0, 120_000),
    listenBacklog: int(env, 'LISTEN_BACKLOG', d.listenBacklog, 1, 65_535),
    redisUrl: redisUrl(env),
    redisClusterNodes: clusterNodes(env),
    redisKeyPrefix: keyPrefix(env, d.redisKeyPrefix),
    guestSessions: bool(env, 'GUEST_SESSIONS', d.guestSessions),
    guestSessionTtlMs: int(env, 'GUEST_SESSION_TTL_MS', d.guestSessionTtlMs, 60_000, 30 * 24 * 60 * 60_000),
    authJwtSecret: secret(env, 'AUTH_JWT_SECRET', 32),
    authJwksUrl: url(env, 'AUTH_JWKS_URL'),
    authJwtIssuer: text(env, 'AUTH_JWT_ISSUER'),
    authJwtAudience: text(env, 'AUTH_JWT_AUDIENCE'),
    authRoleClaim: text(env, 'AUTH_ROLE_CLAIM') ?? d.authRoleClaim,
    authCookieName: cookieName(env, 'AUTH_COOKIE_NAME'),
    holdCooldownMs: int(env, 'HOLD_COOLDOWN_MS', d.holdCooldownMs, 0, 24 * 60 * 60_000),
    maxHoldPerIp: int(env, 'MAX_HOLD_PER_IP', d.maxHoldPerIp, 0),
    rateLimits: bool(env, 'RATE_LIMITS', d.rateLimits),
    sessionsPerMinute: int(env, 'RATE_LIMIT_SESSIONS', d.sessionsPerMinute, 1),
    mutationsPerUserPerMinute: int(env, 'RATE_LIMIT_MUTATIONS_PER_USER', d.mutationsPerUserPerMinute, 1),
    mutationsPerIpPerMinute: int(env, 'RATE_LIMIT_MUTATIONS_PER_IP', d.mutationsPerIpPerMinute, 1),
    readsPerMinute: int(env, 'RATE_LIMIT_READS', d.readsPerMinute, 1),
    authFailuresPerMinute: int(env, 'RATE_LIMIT_AUTH_FAILURES', d.authFailuresPerMinute, 1),
    maxStreamsPerIp: int(env, 'MAX_STREAMS_PER_IP', d.maxStreamsPerIp, 1),
    trustProxy: trustProxy(env),
    corsOrigins: origins(env),
    metricsToken: secret(env, 'METRICS_TOKEN', 16),
    headersTimeoutMs: int(env, 'HEADERS_TIMEOUT_MS', d.headersTimeoutMs, 1_000, 120_000),
    requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', d.requestTimeoutMs, 1_000, 600_000),
    keepAliveTimeoutMs: int(env, 'KEEP_ALIVE_TIMEOUT_MS', d.keepAliveTimeoutMs, 1_000, 600_000),
    ...tls(env),
  };
  // One source of keys: a JWKS URL beside a shared secret would leave one of them silently unused.
  if (config.authJwtSecret && config.authJwksUrl) {
    throw new ConfigError('Set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both');
  }
  return config;
}

/** TLS_CERT_FILE and TLS_KEY_FILE: both or neither, each readable, and a key that fits the certificate. */
function tls(env: Env): Pick<Config, 'tlsCertFile' | 'tlsKeyFile'> {
  const tlsCertFile = text(env, 'TLS_CERT_FILE');
  const tlsKeyFile = text(env, 'TLS_KEY_FILE');
  if (tlsCertFile === undefined && tlsKeyFile === undefined) return { tlsCertFile, tlsKeyFile };
  if (tlsCertFile === undefined) throw new ConfigError('TLS_CERT_FILE must be set when TLS_KEY_FILE is');
  if (tlsKeyFile === undefined) throw new ConfigError('TLS_KEY_FILE must be set when TLS_CERT_FILE is');
  const cert = readTlsFile('TLS_CERT_FILE', tlsCertFile);
  const key = readTlsFile('TLS_KEY_FILE', tlsKeyFile);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new ConfigError(
      `TLS_CERT_FILE and TLS_KEY_FILE must be a PEM certificate and its private key: ${(error as Error).message}`,
    );
  }
  return { tlsCertFile, tlsKeyFile };
}

/** A TLS file's contents; a file that cannot be read is a ConfigError naming its variable. */
export function readTlsFile(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`${name} cannot be read (${path}): ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

function text(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

function url(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  return raw;
}

function cookieName(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new ConfigError(`${name} must be a cookie name`);
  return raw;
}

/** `off` (default), a hop count, or a comma-separated list of proxy addresses / CIDRs. */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === undefined || ['off', 'false', '0', 'no'].includes(raw.toLowerCase())) return false;
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  const list = raw.split(',').map((a) => a.trim());
  for (const entry of list) {
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || rest.length > 0) {
      throw new ConfigError(`TRUST_PROXY must be off, a hop count (0-99), or addresses / CIDRs, got "${entry}"`);
    }
  }
  return list;
}

function origins(env: Env): string[] {
  const raw = text(env, 'CORS_ORIGINS');
  if (raw === undefined) return [];
  return raw.split(',').map((origin) => {
    const trimmed = origin.trim();
    if (!/^https?:\/\/[^/\s]+$/.test(trimmed)) {
      throw new ConfigError(`CORS_ORIGINS must be origins like https://tickets.example, got "${trimmed}"`);
    }
    return trimmed;
  });
}
