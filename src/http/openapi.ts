import { readFileSync } from 'node:fs';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { errorBodySchema, refusals } from './schemas.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** fastify-static's route (the demo page and its files): hidden by that plugin, described here. */
const demoFiles: FastifySchema = {
  summary: 'The demo page and its files (only while DEMO is on)',
  params: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } },
  response: {
    200: { description: 'A file', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
    ...refusals('BAD_REQUEST', 'FORBIDDEN', 'NOT_FOUND'),
  },
};

function isDemoFiles(route: RouteOptions): boolean {
  return route.url.endsWith('*') && [route.method].flat().includes('GET');
}

/**
 * The OpenAPI document of seatstream's routes, made from their schemas by @fastify/swagger and
 * served at `GET /openapi.json` (public, like /healthz; no UI). Registered in seatstream's scope
 * before its routes: the document has the routes registered after it, and the error body schema
 * (`ErrorBody`) their responses reference is added here, for their serializers too.
 */
export async function registerOpenApi(scope: FastifyInstance): Promise<void> {
  scope.addSchema(errorBodySchema);
  await scope.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'seatstream',
        version,
        description: 'Live seat status over Server-Sent Events. The guide: docs/api.md.',
      },
    },
    // Shared schemas keep their `$id` as their name under components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url, route }) =>
      isDemoFiles(route) ? { schema: demoFiles, url: url.replace('*', ':path') } : { schema, url },
  });
  scope.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This document (OpenAPI 3)',
        response: {
          200: { description: 'The OpenAPI document', type: 'object', additionalProperties: true },
          ...refusals(),
        },
      },
    },
    async () => scope.swagger(),
  );
}
