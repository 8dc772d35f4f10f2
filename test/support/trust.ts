import net from 'node:net';
import { Writable } from 'node:stream';
import { base64url, SignJWT } from 'jose';
import { requestForLog } from '../../src/http/app.js';

/** The HS256 secret the trust tests share with their "identity provider". */
export const JWT_SECRET = 'an-hs256-secret-shared-with-the-idp-0123456789';
export const ADMIN = 'admin-token-for-trust-tests-0123';
export const SESSION_SECRET = 'a-session-secret-shared-by-all-instances-0123';

/** An HS256 token, as the operator's identity provider would issue it. */
export function hs256(
  claims: Record<string, unknown>,
  { secret = JWT_SECRET, expiresIn = '10m' as string | number } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/** An unsigned token (`alg: none`), which must never be accepted. */
export function unsigned(claims: Record<string, unknown>): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
}

export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** fetch with JSON in and out, any headers (bearer, cookie, Origin, X-Forwarded-For). */
export async function call<T = any>(
  url: string,
  path: string,
  { method = 'GET', body, headers = {} }: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const response = await fetch(url + path, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed as T, text, headers: response.headers };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const from = (address: string) => ({ 'x-forwarded-for': address });

/**
 * A logger configured as the app's own (its `req` serializer), writing every line into `lines`,
 * so a test can read what an operator's log would hold.
 */
export function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: { level: 'trace', stream, serializers: { req: requestForLog } } };
}

/** What a raw socket saw: the bytes the server sent, and when the server closed its side. */
export interface RawExchange {
  data: string;
  /** ms from connect until the server ended (FIN) or reset the connection. */
  closedAfterMs: number;
}

/**
 * Connects a raw socket, lets `drive` write (slowly, if it likes), and resolves once the server
 * ends the connection, or rejects after `limitMs`. The client never half-closes its own side.
 */
export function rawExchange(
  url: string,
  drive: (socket: net.Socket) => void,
  limitMs: number,
): Promise<RawExchange & { socket: net.Socket }> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ port: Number(port), host: hostname, allowHalfOpen: true }, () => drive(socket));
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${limitMs} ms; it sent ${JSON.stringify(data)}`));
    }, limitMs);
    const done = () => {
      clearTimeout(timer);
      resolve({ data, closedAfterMs: performance.now() - started, socket });
    };
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.once('end', done);
    socket.once('error', done);
    socket.once('close', done);
  });
}

/** Status and JSON body of a raw HTTP/1.1 response. */
export function parseRaw(data: string): { status: number; headers: string; body: any } {
  const [head = '', ...rest] = data.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const text = rest.join('\r\n\r\n');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status, headers: head, body };
}
