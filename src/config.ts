/**
 * Configuration from the environment: every variable has a default and is validated at
 * start-up, so a typo fails loudly before the server accepts a connection.
 */

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
  sseBufferLimitBytes: number;
  /** Undefined: a random secret per process (sessions do not survive a restart). */
  sessionSecret: string | undefined;
  /** Undefined: the admin routes are off. */
  adminToken: string | undefined;
  maxSeatsPerRequest: number;
  /** 0 = no limit. */
  maxHoldPerUser: number;
  logLevel: LogLevel;
  demoSchedule: boolean;
  /** Redis connection URL; unset (and no cluster nodes) = the embedded memory backend. */
  redisUrl: string | undefined;
  /** Redis Cluster seed nodes (`host:port`); takes precedence over redisUrl. */
  redisClusterNodes: string[] | undefined;
  /** In front of every Redis key and channel, so deployments can share one Redis. */
  redisKeyPrefix: string;
  /** How long SIGTERM waits for streams to close before the process exits anyway. */
  shutdownGraceMs: number;
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
  sseBufferLimitBytes: 1_048_576,
  sessionSecret: undefined,
  adminToken: undefined,
  maxSeatsPerRequest: 20,
  maxHoldPerUser: 10,
  logLevel: 'info',
  demoSchedule: true,
  shutdownGraceMs: 5_000,
  redisUrl: undefined,
  redisClusterNodes: undefined,
  redisKeyPrefix: 'seatstream:',
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
  return {
    port: int(env, 'PORT', d.port, 0, 65_535),
    host: env.HOST?.trim() || d.host,
    heartbeatMs: int(env, 'HEARTBEAT_MS', d.heartbeatMs, 100),
    heartbeatStyle: oneOf(env, 'HEARTBEAT_STYLE', d.heartbeatStyle, ['both', 'comment', 'data']),
    sseMaxLifetimeMs: int(env, 'SSE_MAX_LIFETIME_MS', d.sseMaxLifetimeMs, 1_000),
    sseRetryMs: int(env, 'SSE_RETRY_MS', d.sseRetryMs, 1, 600_000),
    replayLimit: int(env, 'REPLAY_LIMIT', d.replayLimit, 1, 1_000_000),
    holdTtlMs: int(env, 'HOLD_TTL_MS', d.holdTtlMs, 1_000),
    holdSweepMs: int(env, 'HOLD_SWEEP_MS', d.holdSweepMs, 10, 60_000),
    sseBufferLimitBytes: int(env, 'SSE_BUFFER_LIMIT_BYTES', d.sseBufferLimitBytes, 1_024),
    sessionSecret: secret(env, 'SESSION_SECRET', 32),
    adminToken: secret(env, 'ADMIN_TOKEN', 16),
    maxSeatsPerRequest: int(env, 'MAX_SEATS_PER_REQUEST', d.maxSeatsPerRequest, 1, 1_000),
    maxHoldPerUser: int(env, 'MAX_HOLD_PER_USER', d.maxHoldPerUser, 0),
    logLevel: oneOf(env, 'LOG_LEVEL', d.logLevel, ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    demoSchedule: bool(env, 'DEMO_SCHEDULE', d.demoSchedule),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', d.shutdownGraceMs, 0, 120_000),
    redisUrl: redisUrl(env),
    redisClusterNodes: clusterNodes(env),
    redisKeyPrefix: keyPrefix(env, d.redisKeyPrefix),
  };
}
