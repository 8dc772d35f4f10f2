import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Buyer, type Caller, VIEWER, type Via } from '../auth/caller.js';
import { type GuestTokens, looksLikeGuestToken } from '../auth/guest-tokens.js';
import type { Identity } from '../auth/identity.js';
import { clearCookie, requestCookies, setCookie } from './cookies.js';
import { ApiError, bearerChallenge } from './errors.js';
import type { Limits } from './limits.js';

export const GUEST_COOKIE = 'seatstream_session';

export interface AuthenticatorOptions {
  identity: Identity;
  /** Undefined when guest sessions are off. */
  guests: GuestTokens | undefined;
  /** The cookie that carries an operator JWT, if any. */
  jwtCookie: string | undefined;
  /** Origins besides the request's own from which cookie-authenticated changes are accepted. */
  allowedOrigins: readonly string[];
  /** Failed service authentications are limited per client address. */
  limits: Pick<Limits, 'checkServiceFailures' | 'serviceRefused' | 'serviceAttempt' | 'serviceSucceeded'>;
}

/**
 * What the authenticator remembers of a request, on the request itself: a `WeakMap` keyed by
 * requests cost about 0.5 µs per request, and its entries are ephemerons that every garbage
 * collection must trace. `declareAuthSlots` declares them on the scope's requests (a stable shape).
 */
const CALLER = Symbol('seatstream.caller');
const QUERY_CALLER = Symbol('seatstream.queryCaller');
/** Set once the request's failed service authentication was counted. */
const COUNTED = Symbol('seatstream.serviceFailureCounted');

interface AuthSlots {
  [CALLER]?: Promise<Caller> | null;
  [QUERY_CALLER]?: Promise<Caller> | null;
  [COUNTED]?: boolean | null;
}

export function declareAuthSlots(scope: FastifyInstance): void {
  for (const slot of [CALLER, QUERY_CALLER, COUNTED]) scope.decorateRequest(slot, null);
}

/**
 * Where a request's credential comes from, and what it makes the caller. The `Authorization:
 * Bearer` header wins; then, on stream routes only (a browser's EventSource cannot set headers),
 * `?access_token=`; then the operator's JWT cookie and the guest cookie. A credential that is
 * present but invalid is a 401, never a silent downgrade to viewer.
 */
export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  /**
   * The request's caller, worked out once per way of reading it (the rate limiter asks too): the
   * limiter's header-and-cookie answer must not stand for a stream route's `?access_token=` one.
   */
  caller(request: FastifyRequest, { query = false } = {}): Promise<Caller> {
    const slots = request as AuthSlots;
    const key = query ? QUERY_CALLER : CALLER;
    return (slots[key] ??= this.resolve(request, query));
  }

  private async resolve(request: FastifyRequest, query: boolean): Promise<Caller> {
    const presented = presentedCredential(request, this.options.jwtCookie, query);
    if (!presented) return VIEWER;
    if (presented.via === 'cookie' && request.method !== 'GET' && request.method !== 'HEAD') this.checkOrigin(request);
    // A bearer token that is neither a guest token nor a JWT can only be a try at the service
    // token, which some buyer routes take too (release): its failures count on every route.
    const serviceTry =
      presented.via === 'bearer' && !looksLikeGuestToken(presented.token) && !looksLikeJwt(presented.token);
    if (serviceTry) {
      // Counted before it is checked (and taken back if right): parallel guesses cannot outrun it.
      (request as AuthSlots)[COUNTED] = true;
      await this.options.limits.serviceAttempt(request);
    }
    const caller = await this.options.identity.resolve(presented.token, presented.via);
    if (!caller) {
      throw new ApiError('UNAUTHORIZED', 'The credential is invalid, expired or revoked', {}, bearerChallenge(true));
    }
    if (serviceTry) await this.options.limits.serviceSucceeded(request);
    return caller;
  }

  /** Counts a failed service authentication once per request. */
  private async refused(request: FastifyRequest): Promise<void> {
    const slots = request as AuthSlots;
    if (slots[COUNTED]) return;
    slots[COUNTED] = true;
    await this.options.limits.serviceRefused(request);
  }

  /** A buyer's act (hold, release its own): 401 without identity, 403 for the service. */
  async buyer(request: FastifyRequest): Promise<Buyer> {
    const caller = await this.caller(request);
    if (caller.role === 'buyer') return caller;
    if (caller.role === 'service') throw new ApiError('FORBIDDEN', 'The service acts through its own routes');
    throw new ApiError('UNAUTHORIZED', this.options.guests ? undefined : 'Sign in first');
  }

  /**
   * Whose private stream a request opens: the buyer its credential names (a stream may carry it
   * as `?access_token=`); 401 without one, 403 for the service, which has none.
   */
  async streamOwner(request: FastifyRequest): Promise<string> {
    const caller = await this.caller(request, { query: true });
    if (caller.role === 'service') throw new ApiError('FORBIDDEN', 'The service has no private stream');
    if (caller.role !== 'buyer') throw new ApiError('UNAUTHORIZED', 'A private stream needs an identity');
    return caller.userId;
  }

  /** The service's act (reserve, release any seat, schedules): 401 without identity, 403 for a buyer. */
  async service(request: FastifyRequest): Promise<void> {
    const { limits } = this.options;
    await limits.checkServiceFailures(request);
    let caller: Caller;
    try {
      caller = await this.caller(request);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'RATE_LIMITED')) await this.refused(request);
      throw error;
    }
    if (caller.role === 'service') return;
    await this.refused(request);
    if (caller.role === 'buyer') throw new ApiError('FORBIDDEN');
    throw new ApiError('UNAUTHORIZED', 'This route needs Authorization: Bearer <service credential>');
  }

  /** Keeps a valid guest session (a page reload is the same guest), or starts a new one. */
  async startGuest(request: FastifyRequest, reply: FastifyReply) {
    const guests = this.options.guests!;
    const current = requestCookies(request)[GUEST_COOKIE];
    if (current) {
      const caller = await this.options.identity.resolve(current, 'cookie').catch(() => undefined);
      if (caller?.role === 'buyer' && caller.guest) {
        return { userId: caller.userId, token: current, expiresAt: new Date(caller.expiresAt).toISOString() };
      }
    }
    const session = guests.issue();
    setCookie(reply, GUEST_COOKIE, session.token, {
      ...this.cookieOptions(request),
      maxAge: Math.floor(guests.ttlMs / 1000),
    });
    return { userId: session.userId, token: session.token, expiresAt: new Date(session.expiresAt).toISOString() };
  }

  /**
   * Revokes the request's guest token on every instance and clears its cookie. A logout is a
   * change too: with a cookie it must come from an allowed Origin (no cross-site logout).
   */
  async logout(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const presented = presentedCredential(request, this.options.jwtCookie, false);
    if (presented?.via === 'cookie') this.checkOrigin(request);
    const revoked = presented ? await this.options.identity.logout(presented.token) : false;
    clearCookie(reply, GUEST_COOKIE, this.cookieOptions(request));
    return revoked;
  }

  /**
   * The guest cookie's attributes. `SameSite=Lax` keeps it off other sites' requests; but when
   * `CORS_ORIGINS` names a page of another site than the request's own, that page's requests
   * must carry it, which only `SameSite=None` allows, and browsers take that only with `Secure`
   * (an https API; Chromium also accepts it from http://localhost). Cross-site changes stay
   * guarded by the Origin check (`checkOrigin`) and CORS.
   */
  private cookieOptions(request: FastifyRequest) {
    const crossSite = this.options.allowedOrigins.some((origin) => !sameSite(origin, request));
    return {
      httpOnly: true,
      sameSite: crossSite ? ('none' as const) : ('lax' as const),
      secure: crossSite || request.protocol === 'https',
      path: '/',
    };
  }

  /**
   * A browser sends cookies with any site's request, so a change made with a cookie must come
   * from the page's own origin or an allowed one; browsers always send Origin on such requests.
   */
  private checkOrigin(request: FastifyRequest): void {
    const origin = request.headers.origin;
    const own = `${request.protocol}://${request.host}`;
    if (origin === own || (origin !== undefined && this.options.allowedOrigins.includes(origin))) return;
    throw new ApiError('BAD_ORIGIN', `A change made with a cookie must come from ${own} or an allowed origin`);
  }
}

/**
 * Whether a listed origin is of the request's own site: the same scheme and registrable domain
 * (ports do not count). Without the Public Suffix List the registrable domain is approximated:
 * an IP address or a single label is its own site; otherwise the last two labels, or three
 * under a two-letter country code's common second level (`shop.example.co.uk` → `example.co.uk`).
 * Shared hosting suffixes (`github.io`) are not known, so their subdomains count as one site.
 */
export function sameSite(origin: string, request: Pick<FastifyRequest, 'protocol' | 'hostname'>): boolean {
  const url = new URL(origin);
  return url.protocol === `${request.protocol}:` && site(url.hostname) === site(request.hostname);
}

const SECOND_LEVELS = new Set(['ac', 'co', 'com', 'edu', 'gov', 'net', 'org']);

function site(hostname: string): string {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (isIP(host) !== 0) return host;
  const labels = host.split('.');
  const take = labels.length > 2 && labels.at(-1)!.length === 2 && SECOND_LEVELS.has(labels.at(-2)!) ? 3 : 2;
  return labels.slice(-take).join('.');
}

/** A compact JWS: three base64url parts, the first a JSON object (`eyJ` is `{"`). */
function looksLikeJwt(token: string): boolean {
  return /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(token);
}

/**
 * The credential a request presents, in the order it counts: the bearer header, then (stream
 * routes only) `?access_token=`, then the operator's JWT cookie, then the guest cookie.
 */
export function presentedCredential(
  request: FastifyRequest,
  jwtCookie: string | undefined,
  query: boolean,
): { token: string; via: Via } | undefined {
  const auth = request.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), via: 'bearer' };
  const fromQuery = query ? (request.query as { access_token?: unknown }).access_token : undefined;
  if (typeof fromQuery === 'string' && fromQuery) return { token: fromQuery, via: 'query' };
  const cookies = requestCookies(request);
  const jwt = jwtCookie ? cookies[jwtCookie] : undefined;
  if (jwt) return { token: jwt, via: 'cookie' };
  const guest = cookies[GUEST_COOKIE];
  return guest ? { token: guest, via: 'cookie' } : undefined;
}
