import { createServer, type RequestListener } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Backend } from '../backends/backend.js';
import type { Config } from '../config.js';
import { clientErrorResponse, installErrorHandler, installNotFoundHandler } from './errors.js';
import { seatstream } from './plugin.js';
import { createTlsServer, tlsFiles } from './tls-server.js';

export interface BuildOptions {
  /** Defaults to what the config names: Redis when REDIS_URL is set, else the embedded memory backend. */
  backend?: Backend;
  logger?: FastifyServerOptions['logger'];
  /** Clock for hold expiry (tests). */
  clock?: () => number;
}

/**
 * The standalone server without listening: the `seatstream` plugin in a fastify app made for it
 * (its server, timeouts, proxies and TLS). The process entry (main.ts) and tests both start here.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  // With TLS_CERT_FILE / TLS_KEY_FILE: HTTP/2 over TLS, HTTP/1.1 still allowed (docs/operations.md, TLS).
  const tls = config.tlsCertFile && config.tlsKeyFile ? tlsFiles(config.tlsCertFile, config.tlsKeyFile) : undefined;
  // The one place the server's type differs: under TLS it is an Http2SecureServer whose requests
  // are Http2ServerRequest or IncomingMessage (HTTP/1.1). Every route, hook and test uses only what
  // both have (headers, url, socket address, the raw response's write/end/destroy/'close'), so the
  // app stays typed as the HTTP/1 instance the rest of the code knows: these flags are typed
  // `object`, which picks fastify's HTTP/1 overload, and the factory's server is cast to match.
  const http2Flags: object = tls ? { http2: true, https: { ...tls, allowHTTP1: true } } : {};
  const app = Fastify({
    ...http2Flags,
    logger: logger(config, options.logger),
    // Open SSE streams would otherwise keep app.close() waiting forever.
    forceCloseConnections: true,
    // While draining (SHUTDOWN_DRAIN_MS) requests are still served; readiness says 503.
    return503OnClosing: false,
    // X-Forwarded-* only from the proxies the operator names: anyone else could pick an address.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // The whole request (headers and body) must arrive in time; a stream is a response, not cut by
    // it. Node checks these every connectionsCheckingInterval (30 s by default): check every second.
    serverFactory: (handler) =>
      tls
        ? (createTlsServer(config, tls, handler as RequestListener) as unknown as ReturnType<typeof createServer>)
        : createServer(
            {
              requestTimeout: config.requestTimeoutMs,
              headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
              connectionsCheckingInterval: 1_000,
              // fastify sets its 72 s only on a server it makes itself, not on a factory's.
              keepAliveTimeout: config.keepAliveTimeoutMs,
            },
            handler,
          ),
    clientErrorHandler: (error, socket) => {
      // Answer, then close both ways: a client that keeps its side open must not keep the socket.
      if (socket.writable) socket.end(clientErrorResponse(error), () => socket.destroy());
      else socket.destroy();
    },
  });

  // A JSON 404 for the whole server (an embedding host keeps its own), and the API's error shape
  // for errors outside seatstream's scope (a body the server's parser refused).
  installErrorHandler(app);
  installNotFoundHandler(app);
  await app.register(seatstream, {
    config,
    ...(options.backend && { backend: options.backend }),
    ...(options.clock && { clock: options.clock }),
  });
  return app;
}

/** A request as log lines show it: `?access_token=` (stream routes) is scrubbed from the URL. */
export function requestForLog(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url.replace(/([?&]access_token=)[^&]*/g, '$1[redacted]'),
    remoteAddress: request.ip,
  };
}

/** TRUST_PROXY=<n>: believe the n proxies nearest to this server (as a trust function). */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** The logger, whichever is given, keeps the request serializer that scrubs `?access_token=`. */
function logger(config: Config, given: BuildOptions['logger']): FastifyServerOptions['logger'] {
  const serializers = { req: requestForLog };
  if (given === undefined) return { level: config.logLevel, serializers };
  if (typeof given === 'object' && given !== null)
    return { ...given, serializers: { ...given.serializers, ...serializers } };
  return given;
}
