import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';

/**
 * Request schemas checked as sent, in seatstream's scope whatever the host app's own settings: no
 * coercion ("5" is not a seat id), nothing silently dropped (an unknown field is a 400 where a
 * schema says `additionalProperties: false`), defaults filled in.
 */
export function strictValidation(scope: FastifyInstance): void {
  const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false });
  scope.setValidatorCompiler(({ schema }) => ajv.compile(schema));
}
