import type { RequestListener } from 'node:http';
import { constants as h2, createSecureServer, type Http2SecureServer, Http2ServerResponse } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { type Config, readTlsFile } from '../config.js';

/** The PEM certificate and key, read at start-up (loadConfig has checked them already). */
export function tlsFiles(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  return { cert: readTlsFile('TLS_CERT_FILE', certFile), key: readTlsFile('TLS_KEY_FILE', keyFile) };
}

/** Headers of HTTP/1 connections that an HTTP/2 response must not carry (RFC 9113 §8.2.2). */
const HTTP1_ONLY_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * An HTTP/2 response that drops HTTP/1-only headers quietly. fastify-sse-v2 sets
 * `Connection: keep-alive` on every stream it opens; Node would drop it too, but with an
 * UnsupportedWarning in the log.
 */
class Http2Response extends Http2ServerResponse {
  override setHeader(name: string, value: number | string | readonly string[]): void {
    if (!HTTP1_ONLY_HEADERS.has(name.toLowerCase())) super.setHeader(name, value);
  }
}

/** Node's HTTP/1 settings that an allowHTTP1 server honours for its HTTP/1.1 connections (not in its type). */
interface Http1Settings {
  requestTimeout: number;
  headersTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
  closeAllConnections(): void;
}

/**
 * HTTP/2 over TLS, HTTP/1.1 (ALPN, or none) on the same port.
 * - HTTP/1.1 connections go through Node's HTTP/1 server code: the same request and headers
 *   timeouts as without TLS, checked every second.
 * - HTTP/2 has no such timeouts in Node. The TLS handshake must end within the headers timeout; a
 *   request whose body has not all arrived within the request timeout is reset (a GET, a stream
 *   included, is complete with its headers); a session with no frame either way for 72 s (fastify's
 *   http2SessionTimeout) is closed. A stream's heartbeats keep its session from being idle.
 * - forceCloseConnections: fastify calls closeAllConnections() before server.close() when the
 *   server has one; this one destroys every TLS connection, HTTP/2 sessions included, so open
 *   streams (and idle sessions) never keep app.close() waiting.
 */
export function createTlsServer(
  config: Config,
  files: { cert: Buffer; key: Buffer },
  handler: RequestListener,
): Http2SecureServer {
  const headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  const server = createSecureServer(
    {
      ...files,
      allowHTTP1: true,
      Http2ServerResponse: Http2Response as typeof Http2ServerResponse,
      handshakeTimeout: headersTimeout,
    },
    // fastify's handler takes either kind of request (it is given `http2: true`).
    handler as unknown as Parameters<typeof createSecureServer>[1],
  );
  const sockets = new Set<TLSSocket>();
  server.on('secureConnection', (socket: TLSSocket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  Object.assign(server as unknown as Http1Settings, {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1_000,
    closeAllConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
  } satisfies Http1Settings);
  server.on('session', (session) => session.setTimeout(72_000, () => session.close()));
  server.on('stream', (stream) => {
    if (stream.endAfterHeaders) return;
    const timer = setTimeout(() => stream.close(h2.NGHTTP2_CANCEL), config.requestTimeoutMs);
    const done = () => clearTimeout(timer);
    stream.once('end', done);
    stream.once('close', done);
  });
  return server;
}
