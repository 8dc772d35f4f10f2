/**
 * A real seatstream for a test: the standalone app (`buildApp`) on an ephemeral loopback port,
 * embedded (memory backend) or on a Redis the test names, with a service token of its own and
 * the API and stream helpers bound to it.
 */
import { randomBytes } from 'node:crypto';
import { type Config, loadConfig } from '../config.js';
import { buildApp } from '../http/app.js';
import { type Credential, SeatstreamApi } from './api.js';
import type { EventStream, OpenStreamOptions } from './event-stream.js';
import { dropKeyPrefix, uniqueKeyPrefix } from './redis-prefix.js';
import {
  openNotificationStream,
  openScheduleStream,
  openSchedulesStream,
  type ScheduleStreamOptions,
  type SchedulesStreamOptions,
} from './seat-streams.js';

/** The fastify instance `buildApp` makes (with `app.seatstream`, the context). */
export type SeatstreamApp = Awaited<ReturnType<typeof buildApp>>;

/**
 * What the kit changes from seatstream's defaults. Every client of a test is 127.0.0.1, so the
 * per-address rate limits and caps (`rateLimits`) would count all of a test's buyers as one; no
 * demo schedule (the test creates its own); no log; no drain wait on close.
 */
export const kitDefaults: Readonly<Partial<Config>> = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  logLevel: 'silent',
  demo: false,
  rateLimits: false,
  shutdownDrainMs: 0,
});

export interface StartOptions {
  /**
   * Run on this Redis (a container's URL, say) under a fresh key prefix whose keys are deleted
   * on close. Default: `config.redisUrl`; neither: the embedded memory backend.
   */
  readonly redisUrl?: string;
  /**
   * Settings over `kitDefaults` and seatstream's defaults (the environment is never read). An
   * `adminToken` or `sessionSecret` left out is made up; a `redisKeyPrefix` given is used as it
   * is and left in place on close (it is yours).
   */
  readonly config?: Partial<Config>;
  /** The clock of hold expiry (epoch ms), for tests of expiry that do not want to wait. */
  readonly clock?: () => number;
}

/** Starts a seatstream; `close()` it after the test. */
export async function startSeatstream(options: StartOptions = {}): Promise<TestSeatstream> {
  const given = options.config ?? {};
  const redisUrl = options.redisUrl ?? given.redisUrl;
  // A prefix of the kit's own only where the kit can also clean it up: one Redis, no prefix given.
  const owned = redisUrl !== undefined && given.redisKeyPrefix === undefined && !given.redisClusterNodes;
  const config: Config = {
    ...loadConfig({}),
    ...kitDefaults,
    ...given,
    redisUrl,
    ...(owned && { redisKeyPrefix: uniqueKeyPrefix() }),
    // Made up here, not per process, so that a peer (startPeer) accepts the same tokens.
    adminToken: given.adminToken ?? randomBytes(24).toString('base64url'),
    sessionSecret: given.sessionSecret ?? randomBytes(32).toString('base64url'),
  };
  return TestSeatstream.start(config, options.clock, owned);
}

/** A started seatstream: its address, its app, the API (as the buyer and the service) and its streams. */
export class TestSeatstream extends SeatstreamApi {
  private readonly streams = new Set<EventStream>();
  private readonly peers = new Set<TestSeatstream>();
  private closing: Promise<void> | undefined;

  private constructor(
    /** `http://127.0.0.1:<port>`. */
    readonly url: string,
    readonly app: SeatstreamApp,
    readonly config: Readonly<Config> & { readonly adminToken: string },
    private readonly clock: (() => number) | undefined,
    /** This deployment's keys are deleted when it closes (the kit made its prefix). */
    private readonly ownsPrefix: boolean,
    private readonly owner?: TestSeatstream,
  ) {
    super(url, config.adminToken);
  }

  /** The service token (`ADMIN_TOKEN`) the service calls send (always set here). */
  declare readonly serviceToken: string;

  /** @internal */
  static async start(
    config: Config,
    clock: (() => number) | undefined,
    ownsPrefix: boolean,
    owner?: TestSeatstream,
  ): Promise<TestSeatstream> {
    const app = await buildApp(config, clock ? { clock } : {});
    try {
      await app.listen({ port: config.port, host: config.host });
    } catch (error) {
      await app.close();
      throw error;
    }
    const url = `http://${hostOf(app.server.address())}`;
    const started = new TestSeatstream(url, app, config as TestSeatstream['config'], clock, ownsPrefix, owner);
    owner?.peers.add(started);
    return started;
  }

  /** The Redis key prefix of this deployment; undefined on the memory backend. */
  get keyPrefix(): string | undefined {
    return this.config.redisUrl || this.config.redisClusterNodes ? this.config.redisKeyPrefix : undefined;
  }

  /** One schedule's stream, resolved once its snapshot came (see ScheduleStreamOptions). */
  openSchedule(scheduleId: number, options?: ScheduleStreamOptions): Promise<EventStream> {
    return this.track(openScheduleStream(this.url, scheduleId, options));
  }

  /** Several schedules on one connection, and with `notifications` the buyer's notices too. */
  openSchedules(scheduleIds: readonly number[], options?: SchedulesStreamOptions): Promise<EventStream> {
    return this.track(openSchedulesStream(this.url, scheduleIds, options));
  }

  /** The buyer's private stream of notices, resolved once `connected` came. */
  openNotifications(buyer: Credential, options?: OpenStreamOptions): Promise<EventStream> {
    return this.track(openNotificationStream(this.url, buyer, options));
  }

  /**
   * Another instance of the same deployment, as behind a load balancer: the same Redis, key
   * prefix, service token and session secret (a guest of one is a guest of the other). It
   * closes with this one; closing it alone leaves the keys to this one.
   */
  async startPeer(config: Partial<Config> = {}): Promise<TestSeatstream> {
    if (this.keyPrefix === undefined) throw new Error('startPeer needs a Redis: start with { redisUrl }');
    const owner = this.owner ?? this;
    return TestSeatstream.start({ ...this.config, port: 0, ...config }, this.clock, false, owner);
  }

  /**
   * Closes the streams opened here, the peers, then the app (its streams end, its Redis
   * connections close); then, on a prefix of the kit's, deletes every key under it.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // Each part closes even when another fails; the first failure is thrown at the end.
    const closed = await Promise.allSettled([
      ...[...this.streams].map((stream) => stream.close()),
      ...[...this.peers].map((peer) => peer.close()),
    ]);
    try {
      await this.app.close();
    } finally {
      this.owner?.peers.delete(this);
      if (this.ownsPrefix && this.config.redisUrl)
        await dropKeyPrefix(this.config.redisUrl, this.config.redisKeyPrefix);
    }
    const failed = closed.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async track(opening: Promise<EventStream>): Promise<EventStream> {
    const stream = await opening;
    this.streams.add(stream);
    void stream.finished.then(() => this.streams.delete(stream));
    return stream;
  }
}

/** `host:port` to reach the server at: a wildcard address is reached on loopback. */
function hostOf(address: ReturnType<SeatstreamApp['server']['address']>): string {
  if (address === null || typeof address === 'string') throw new Error(`Unexpected server address: ${address}`);
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `${address.family === 'IPv6' && host !== '127.0.0.1' ? `[${host}]` : host}:${address.port}`;
}
