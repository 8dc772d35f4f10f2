import { ApiError } from './errors.js';

const MAX_ID = 2_147_483_647;

/** Ids are positive 32-bit integers written in plain decimal: no signs, exponents or hex. */
export const idPattern = '^[1-9][0-9]{0,9}$';
const ID = new RegExp(idPattern);

export const scheduleParams = {
  type: 'object',
  required: ['scheduleId'],
  properties: { scheduleId: { type: 'string', pattern: idPattern } },
} as const;

/** A list of distinct seat ids. */
export function seatIdList<Min extends number>(minItems: Min, maxItems: number) {
  return {
    type: 'array',
    minItems,
    maxItems,
    uniqueItems: true,
    items: { type: 'integer', minimum: 1, maximum: MAX_ID },
  } as const;
}

export function seatIdsBody(maxSeats: number) {
  return {
    type: 'object',
    required: ['seatIds'],
    additionalProperties: false,
    properties: { seatIds: seatIdList(1, maxSeats) },
  } as const;
}

/** Reserve (the service's act): the seats, whose holder they must be, and the order they are for. */
export function reserveBody(maxSeats: number) {
  const { properties } = seatIdsBody(maxSeats);
  return {
    type: 'object',
    required: ['seatIds', 'userId', 'orderId'],
    additionalProperties: false,
    properties: {
      ...properties,
      userId: { type: 'string', minLength: 1, maxLength: 256 },
      orderId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,64}$' },
    },
  } as const;
}

export function parseId(text: string, what: string): number {
  const id = ID.test(text) ? Number(text) : NaN;
  if (!(id <= MAX_ID)) throw new ApiError('BAD_REQUEST', `${what} must be an integer between 1 and ${MAX_ID}`);
  return id;
}
