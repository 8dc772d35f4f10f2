import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

export const SESSION_COOKIE = 'seatstream_session';
const TTL_SECONDS = 24 * 60 * 60;

/**
 * Guest identities as signed tokens `userId.expiry.signature` (HMAC-SHA256). Browsers carry the
 * token in an HttpOnly cookie (EventSource cannot set headers); other clients send it as
 * `Authorization: Bearer <token>`. Nothing is stored server-side, so any instance that shares
 * the secret accepts it.
 */
export class Sessions {
  private readonly key: Buffer;

  constructor(secret: string | undefined) {
    this.key = secret ? Buffer.from(secret) : randomBytes(32);
  }

  issue(now = Date.now()): { userId: string; token: string; expiresAt: number } {
    const userId = `guest-${randomUUID()}`;
    const expiresAt = Math.floor(now / 1000) + TTL_SECONDS;
    const payload = `${userId}.${expiresAt}`;
    return { userId, token: `${payload}.${this.sign(payload)}`, expiresAt: expiresAt * 1000 };
  }

  /** The user a token names, or undefined when it is forged, malformed or expired. */
  verify(token: string, now = Date.now()): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [userId, expiry, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${userId}.${expiry}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (!/^\d+$/.test(expiry) || Number(expiry) * 1000 <= now) return undefined;
    return userId;
  }

  userOf(request: FastifyRequest): string | undefined {
    const auth = request.headers.authorization;
    if (auth?.startsWith('Bearer ')) return this.verify(auth.slice(7).trim());
    const cookie = request.cookies[SESSION_COOKIE];
    return cookie ? this.verify(cookie) : undefined;
  }

  requireUser(request: FastifyRequest): string {
    const userId = this.userOf(request);
    if (!userId) throw new ApiError('UNAUTHORIZED', 'Start a session first: POST /api/session');
    return userId;
  }

  /** Keeps a valid session (a page reload is the same guest), or starts a new one. */
  start(request: FastifyRequest, reply: FastifyReply): { userId: string; token: string; expiresAt: string } {
    const current = request.cookies[SESSION_COOKIE] ?? '';
    const userId = current ? this.verify(current) : undefined;
    if (userId) {
      const expiry = Number(current.split('.')[1]) * 1000;
      return { userId, token: current, expiresAt: new Date(expiry).toISOString() };
    }
    const session = this.issue();
    void reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: request.protocol === 'https',
      path: '/',
      maxAge: TTL_SECONDS,
    });
    return { userId: session.userId, token: session.token, expiresAt: new Date(session.expiresAt).toISOString() };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
