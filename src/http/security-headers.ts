import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { HelmetOptions } from 'helmet';

/**
 * What every API answer and event stream carries: none of them is a document a browser renders
 * with scripts, styles or frames, so the document-level headers (the page's CSP sources,
 * Cross-Origin-Opener-Policy, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options,
 * X-Permitted-Cross-Domain-Policies, X-XSS-Protection) would say nothing there. This is the set
 * OWASP's REST Security Cheat Sheet names: a JSON body opened as a page loads nothing and cannot
 * be framed, is never sniffed as something else, and leaks no referrer. Short on purpose: the
 * header block of each of thousands of open streams is kept by Node for the stream's life.
 */
export const API_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** helmet's options for the demo page and its files. */
const DOCUMENT_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
  // Plain-HTTP development and the tests' loopback servers must not be told to upgrade.
  strictTransportSecurity: false,
};

/** The API's security headers on every reply of `scope` (copied from a constant: nothing is worked out per request). */
export function registerSecurityHeaders(scope: FastifyInstance): void {
  scope.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(API_HEADERS);
    done();
  });
}

/**
 * helmet's full set for documents, on every reply of `scope` (the demo page's): a CSP the page
 * lives with (its own scripts and styles only, no framing), nosniff, a strict Referrer-Policy and
 * the rest of helmet's defaults. They depend on nothing in the request, so they are worked out
 * once; helmet is loaded only for the page.
 */
export async function registerDocumentHeaders(scope: FastifyInstance): Promise<void> {
  const headers = await documentHeaders(DOCUMENT_OPTIONS);
  scope.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

/** The headers helmet's middleware sets with `options`, read off a response that only records them. */
async function documentHeaders(options: HelmetOptions): Promise<Record<string, string>> {
  const { default: helmet } = await import('helmet');
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  // Every helmet middleware is synchronous today; one that was not would set its header too late.
  if (!finished) throw new Error('helmet did not finish synchronously: its headers cannot be computed once');
  return headers;
}
