import { describe, expect, it } from 'vitest';
import { formatCursor, parseCursor } from '../../src/protocol/cursor.js';
import { formatEventId, isNotNewer, parseEventId } from '../../src/protocol/event-id.js';

describe('event ids', () => {
  it('round-trips offset@epoch and rejects anything else', () => {
    expect(parseEventId(formatEventId({ offset: 42, epoch: 'k3x9' }))).toEqual({ offset: 42, epoch: 'k3x9' });
    expect(parseEventId('0@abc')).toEqual({ offset: 0, epoch: 'abc' });
    const bad = ['', '42', '@k3x9', '42@', '-1@k3x9', '01@k3x9', '1.5@k3x9', '42@K3X9', '42@k3 x9'];
    bad.push('99999999999999999@a', `1@${'a'.repeat(33)}`);
    for (const text of bad) expect(parseEventId(text), text).toBeUndefined();
    expect(parseEventId(null)).toBeUndefined();
    expect(parseEventId(undefined)).toBeUndefined();
  });

  it('compares ids only within an epoch', () => {
    expect(isNotNewer({ offset: 3, epoch: 'a' }, { offset: 3, epoch: 'a' })).toBe(true);
    expect(isNotNewer({ offset: 4, epoch: 'a' }, { offset: 3, epoch: 'a' })).toBe(false);
    expect(isNotNewer({ offset: 1, epoch: 'b' }, { offset: 3, epoch: 'a' })).toBe(false);
    expect(isNotNewer({ offset: 1, epoch: 'a' }, undefined)).toBe(false);
  });
});

describe('cursors', () => {
  it('round-trips label:offset@epoch,… in the order given', () => {
    const token = formatCursor([
      [1, { offset: 42, epoch: 'k3x9' }],
      ['2', { offset: 0, epoch: 'k3x9' }],
    ]);
    expect(token).toBe('1:42@k3x9,2:0@k3x9');
    expect([...parseCursor(token)!]).toEqual([
      ['1', { offset: 42, epoch: 'k3x9' }],
      ['2', { offset: 0, epoch: 'k3x9' }],
    ]);
  });

  it('rejects a malformed or oversized token as a whole', () => {
    for (const bad of ['', '1', ':1@a', '1:1@a,', '1:x@a', '1:1@a;2:1@a', `1:1@a,${'2:1@a,'.repeat(2000)}3:1@a`]) {
      expect(parseCursor(bad), bad.slice(0, 20)).toBeUndefined();
    }
  });
});
