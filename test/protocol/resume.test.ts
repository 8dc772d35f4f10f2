import { describe, expect, it } from 'vitest';
import { nextStep, type Position, type Span, type Step } from '../../src/protocol/resume.js';

const at: Position = { epoch: 'e', last: 10 };

// Every branch of the rule, with the boundaries on either side.
const cases: Array<[string, Position, Span, Step]> = [
  ['the next event', at, { epoch: 'e', first: 11, last: 11 }, { action: 'deliver' }],
  ['a chunk starting at the next event', at, { epoch: 'e', first: 11, last: 15 }, { action: 'deliver' }],
  ['one event missing in between', at, { epoch: 'e', first: 12, last: 12 }, { action: 'resync', reason: 'gap' }],
  ['a chunk after a gap', at, { epoch: 'e', first: 20, last: 25 }, { action: 'resync', reason: 'gap' }],
  ['the resume boundary: two of five had', at, { epoch: 'e', first: 9, last: 13 }, { action: 'cut', skip: 2 }],
  ['the resume boundary: all but the last had', at, { epoch: 'e', first: 6, last: 11 }, { action: 'cut', skip: 5 }],
  ['a chunk ending at the last event had', at, { epoch: 'e', first: 8, last: 10 }, { action: 'drop' }],
  ['the last event again', at, { epoch: 'e', first: 10, last: 10 }, { action: 'drop' }],
  ['an old event', at, { epoch: 'e', first: 3, last: 3 }, { action: 'drop' }],
  ['a new epoch, offsets restarted', at, { epoch: 'f', first: 1, last: 1 }, { action: 'resync', reason: 'epoch' }],
  [
    'a new epoch at offsets that would follow',
    at,
    { epoch: 'f', first: 11, last: 11 },
    { action: 'resync', reason: 'epoch' },
  ],
  [
    'a reader with nothing yet, the first event',
    { epoch: 'e', last: 0 },
    { epoch: 'e', first: 1, last: 1 },
    { action: 'deliver' },
  ],
  [
    'a reader that knows no epoch yet',
    { epoch: '', last: -1 },
    { epoch: 'e', first: 1, last: 1 },
    { action: 'resync', reason: 'epoch' },
  ],
];

describe('nextStep: what a reader does with a live span of events', () => {
  it.each(cases)('%s', (_name, position, span, step) => {
    expect(nextStep(position, span)).toEqual(step);
  });
});
