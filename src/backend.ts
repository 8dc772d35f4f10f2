import type { EventBus } from './bus/event-bus.js';
import { LocalBus } from './bus/local-bus.js';
import type { Config } from './config.js';
import { MemorySeatStore } from './seats/memory-seat-store.js';
import type { SeatStore } from './seats/seat-store.js';

/** The storage side of a deployment: an event bus and a seat store that write to it atomically. */
export interface Backend {
  readonly kind: string;
  readonly bus: EventBus;
  readonly store: SeatStore;
  /** Whether the backend can take writes right now (readiness, not liveness). */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

/** The embedded default: one process, no external service. */
export function memoryBackend(config: Pick<Config, 'replayLimit'>): Backend {
  const bus = new LocalBus(config.replayLimit);
  const store = new MemorySeatStore(bus);
  return {
    kind: 'memory',
    bus,
    store,
    isReady: async () => true,
    close: async () => {
      await store.close();
      await bus.close();
    },
  };
}
