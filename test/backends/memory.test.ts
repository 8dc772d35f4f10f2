import { describe, expect, it } from 'vitest';
import { LocalBus } from '../../src/backends/memory/local-bus.js';
import { memoryBackend } from '../../src/backends/memory/memory-backend.js';
import { describeEventBusContract } from './event-bus.contract.js';
import { describeSeatStoreContract } from './seat-store.contract.js';

describeEventBusContract('memory', async (replayLimit) => memoryBackend({ replayLimit }).bus);
describeSeatStoreContract('memory', async () => memoryBackend({ replayLimit: 1000 }));

describe('LocalBus', () => {
  it('has an epoch of its own per process, so ids from before a restart never resume silently', () => {
    expect(new LocalBus().epoch).not.toBe(new LocalBus().epoch);
  });
});
