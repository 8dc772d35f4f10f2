import { parse, type SerializeOptions, serialize } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The two cookies seatstream reads (the guest session, an operator's JWT) and the one it sets,
 * read and written where they are needed. A cookie plugin would parse every request's header in
 * a hook and keep a map on every reply, open event streams included, for the few that use them.
 */

/** The cookies `request` sent, by name (none without a `Cookie` header). */
export function requestCookies(request: FastifyRequest): Record<string, string | undefined> {
  const header = request.headers.cookie;
  return header ? parse(header) : {};
}

/** Adds a `Set-Cookie` for `name` to the reply (fastify keeps each one it is given). */
export function setCookie(reply: FastifyReply, name: string, value: string, options: SerializeOptions): void {
  void reply.header('set-cookie', serialize(name, value, options));
}

/** Tells the browser to drop cookie `name` (the attributes it was set with, already expired). */
export function clearCookie(reply: FastifyReply, name: string, options: SerializeOptions): void {
  setCookie(reply, name, '', { ...options, expires: new Date(0), maxAge: 0 });
}
