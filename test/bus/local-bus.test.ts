import { describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/bus/local-bus.js';
import { formatEventId, parseEventId } from '../../src/bus/event-id.js';
import { describeEventBusContract } from '../contracts/event-bus.contract.js';

describeEventBusContract('LocalBus', async (replayLimit) => new LocalBus(replayLimit));

describe('event ids', () => {
  it('round-trips offset@epoch and rejects anything else', () => {
    expect(parseEventId(formatEventId(42, 'k3x9'))).toEqual({ offset: 42, epoch: 'k3x9' });
    expect(parseEventId('0@abc')).toEqual({ offset: 0, epoch: 'abc' });
    for (const bad of [
      '',
      '42',
      '@k3x9',
      '42@',
      '-1@k3x9',
      '01@k3x9',
      '1.5@k3x9',
      '42@K3X9',
      '42@k3 x9',
      '99999999999999999@a',
      `1@${'a'.repeat(33)}`,
    ]) {
      expect(parseEventId(bad), bad).toBeNull();
    }
  });

  it('gives each LocalBus its own epoch, so ids from before a restart never resume silently', () => {
    expect(new LocalBus().epoch).not.toBe(new LocalBus().epoch);
  });
});
