import Fastify, { type FastifyInstance, type InjectOptions, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seatstream } from '../../src/index.js';
import { testConfig } from '../support/server.js';

interface Operation {
  summary?: string;
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  responses: Record<string, { description?: string; headers?: Record<string, unknown>; content?: Record<string, any> }>;
}

const ERROR_BODY = '#/components/schemas/ErrorBody';
const OPERATIONS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
/** Routes that refuse no request (no input, no credential, no store): a 500 is all that can go wrong. */
const NEVER_REFUSE = new Set(['get /healthz', 'get /readyz', 'get /openapi.json']);
/** `/readyz` says "not ready" with its own body: a 503 that is no error body. */
const OWN_BODY = new Set(['get /readyz 503']);

/** A route's path as OpenAPI writes it: `:id` is `{id}`; the demo's file wildcard is `{path}`. */
function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}').replace('*', '{path}');
}

/** A path that the route matches: each parameter filled in. */
function concrete(url: string): string {
  return url.replace(/:\w+/g, '1').replace('*', 'index.html');
}

/** Every `$ref` anywhere in a value. */
function refs(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refs(inner),
  );
}

describe('the OpenAPI document (GET /openapi.json)', () => {
  let app: FastifyInstance;
  /** Every route the app registered, as fastify hands it to an onRoute hook. */
  const routes: RouteOptions[] = [];
  let doc: any;

  beforeAll(async () => {
    // An operator's app embedding seatstream, so that a hook of its own sees each route registered.
    app = Fastify();
    app.addHook('onRoute', (route) => void routes.push(route));
    await app.register(seatstream, {
      config: testConfig({ adminToken: 'openapi-test-service-token', metricsToken: 'openapi-test-metrics-token' }),
    });
    const response = await app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    doc = response.json();
  });
  afterAll(() => app.close());

  /** Every operation of the document, as `method path`. */
  const operations = (): Array<[string, Operation]> =>
    Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]): [string, Operation] => [`${method} ${path}`, operation]),
    );

  it('is an OpenAPI 3 document: version, info, paths of operations with described responses', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'seatstream', version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    for (const [path, item] of Object.entries(doc.paths as Record<string, object>)) {
      expect(path).toMatch(/^\//);
      for (const method of Object.keys(item)) expect(OPERATIONS, `${method} ${path}`).toContain(method);
    }
    for (const [name, operation] of operations()) {
      expect(Object.keys(operation.responses).length, name).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(status, name).toMatch(/^[1-5](\d\d|XX)$/);
        expect(response.description, `${name} ${status}`).toEqual(expect.any(String));
      }
      // Each {parameter} of the path is a required path parameter of the operation.
      for (const [, param] of name.matchAll(/\{([^}]+)\}/g)) {
        expect(operation.parameters ?? [], `${name}: {${param}}`).toContainEqual(
          expect.objectContaining({ in: 'path', name: param, required: true }),
        );
      }
    }
    for (const ref of refs(doc)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split('/').at(-1)!], ref).toBeDefined();
    }
  });

  it('has every route the app registered, with its method (HEAD and OPTIONS aside)', async () => {
    const undocumented: string[] = [];
    for (const route of routes) {
      const methods = [route.method].flat().filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
      for (const method of methods) {
        if (doc.paths[openApiPath(route.url)]?.[method.toLowerCase()]) continue;
        undocumented.push(`${method} ${route.url}`);
        // Only the answers to a method a path does not take may be left out: each is a 405.
        expect(route.schema?.hide, `${method} ${route.url} is not in the document`).toBe(true);
        const answer = await app.inject({ method: method as InjectOptions['method'], url: concrete(route.url) });
        expect([`${method} ${route.url}`, answer.statusCode]).toEqual([`${method} ${route.url}`, 405]);
      }
    }
    expect(undocumented.length).toBeGreaterThan(0); // the 405 answers are among the routes
    // And the other way: nothing in the document that the app does not serve.
    const served = new Set(
      routes.flatMap((r) => [r.method].flat().map((m) => `${m.toLowerCase()} ${openApiPath(r.url)}`)),
    );
    for (const [name] of operations()) expect(served, name).toContain(name);
    for (const name of ['get /openapi.json', 'get /metrics', 'post /api/schedules/{scheduleId}/seats/hold']) {
      expect(served).toContain(name);
    }
  });

  it('describes a success for every operation, and a refusal (4xx) wherever the route can refuse', () => {
    for (const [name, operation] of operations()) {
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.some((status) => /^[23]/.test(status)),
        name,
      ).toBe(true);
      expect(statuses, name).toContain('500');
      expect(
        statuses.some((status) => status.startsWith('4')),
        name,
      ).toBe(!NEVER_REFUSE.has(name));
    }
  });

  it('gives every error response the error body, and the headers that come with 401, 405, 429 and 503', () => {
    const headers: Record<string, string> = {
      401: 'WWW-Authenticate',
      405: 'Allow',
      429: 'Retry-After',
      503: 'Retry-After',
    };
    for (const [name, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        if (headers[status]) expect(response.headers, `${name} ${status}`).toHaveProperty(headers[status]!);
        if (OWN_BODY.has(`${name} ${status}`)) continue;
        expect(response.content, `${name} ${status}`).toEqual({ 'application/json': { schema: { $ref: ERROR_BODY } } });
      }
    }
    const errorBody = doc.components.schemas.ErrorBody;
    expect(errorBody.required).toEqual(['error', 'message']);
    expect(errorBody.properties.error.enum).toContain('METHOD_NOT_ALLOWED');
  });

  it('describes the streams as text/event-stream and the JSON answers with their schemas', () => {
    for (const path of ['/api/schedules/{scheduleId}/seats/events', '/api/events', '/api/notifications/events']) {
      expect(Object.keys(doc.paths[path].get.responses[200].content)).toEqual(['text/event-stream']);
    }
    const hold = doc.paths['/api/schedules/{scheduleId}/seats/hold'].post;
    const seat = hold.responses[200].content['application/json'].schema.properties.seats.items;
    expect(Object.keys(seat.properties)).toEqual(['id', 'row', 'number', 'status', 'mine', 'expiresAt', 'holder']);
    expect(hold.requestBody.content['application/json'].schema.required).toEqual(['seatIds']);
    expect(Object.keys(hold.responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
  });
});
