import type { Backend } from '../backend.js';
import { LocalBus } from './local-bus.js';
import { MemoryCounters } from './memory-counters.js';
import { MemoryRevocations } from './memory-revocations.js';
import { MemorySeatStore } from './memory-seat-store.js';

/** The embedded default: one process, no external service. */
export function memoryBackend(config: { replayLimit: number }): Backend {
  const bus = new LocalBus(config.replayLimit);
  const store = new MemorySeatStore(bus);
  return {
    kind: 'memory',
    bus,
    store,
    revocations: new MemoryRevocations(),
    counters: new MemoryCounters(),
    isReady: async () => true,
    close: async () => {
      await store.close();
      await bus.close();
    },
  };
}
